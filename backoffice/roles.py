"""Staff roles as Django groups, defined here in code (docs/admin.md, "Roles").

- **Support**: manages bookings and clients; reads intakes, notes and feedback only through
  the admin pages that log every look (and only with two-factor authentication, the staff part
  of ``booking.privacy``'s rule); sees therapists, their rates and modalities, payments and
  users but changes none of them (so never anyone's role).
- **Operations lead**: every permission of every model, but is not a superuser: the user admin
  does not let a non-superuser grant superuser status or change a superuser's account, and the
  second-factor devices can be removed (a lost phone) but not written.

A staff member in no group has no permission at all, so sees no health data.

``roles_sync`` writes the groups. The data migration calls it once; ``post_migrate`` calls it
after every migrate, so that a model added later joins "Operations lead" by itself. It only
adds: a permission staff grant a group in the admin stays; one listed here comes back."""

from __future__ import annotations

from typing import Any

SUPPORT = "Support"
OPERATIONS_LEAD = "Operations lead"

VIEW = ("view",)
VIEW_CHANGE = ("view", "change")

SUPPORT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "booking.booking": ("view", "add", "change"),
    "booking.bookingevent": VIEW,
    "clients.clientprofile": VIEW_CHANGE,
    "clients.intake": VIEW,
    "clients.painarea": VIEW,
    "aftercare.reminder": VIEW_CHANGE,
    "aftercare.feedback": VIEW_CHANGE,
    "aftercare.sessionnote": VIEW,
    "aftercare.bookingseries": VIEW,
    "aftercare.seriesvisit": VIEW,
    "core.email": VIEW_CHANGE,
    "therapists.therapistprofile": VIEW,
    "therapists.service": VIEW,
    "therapists.weeklyhours": VIEW,
    "therapists.dateoverride": VIEW,
    "therapists.timeoff": VIEW,
    "therapists.modality": VIEW,
    "payments.payment": VIEW,
    "payments.refund": VIEW,
    "payments.paymentpolicy": VIEW,
    "payments.customer": VIEW,
    "accounts.user": VIEW,
    "account.emailaddress": VIEW,
}

# Second-factor devices hold secrets: staff may remove one (a lost phone), never write one.
OPERATIONS_LEAD_EXCLUDED = {("mfa", "add"), ("mfa", "change")}


def _codename_action(codename: str) -> str:
    return codename.split("_", 1)[0]


def roles_sync(*, apps: Any) -> None:
    """Create the groups and add their permissions (``apps``: the migration's historical apps,
    or ``django.apps.apps``)."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    support, _ = group_model.objects.get_or_create(name=SUPPORT)
    lead, _ = group_model.objects.get_or_create(name=OPERATIONS_LEAD)

    wanted: list[Any] = []
    for label, actions in SUPPORT_PERMISSIONS.items():
        app_label, model = label.split(".")
        wanted.extend(
            permission_model.objects.filter(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )
    support.permissions.add(*wanted)

    everything = [
        p
        for p in permission_model.objects.select_related("content_type")
        if (p.content_type.app_label, _codename_action(p.codename)) not in OPERATIONS_LEAD_EXCLUDED
    ]
    lead.permissions.add(*everything)
