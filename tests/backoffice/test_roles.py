"""Staff roles, proved page by page: every model registered in the admin × its list, add,
change and delete pages → the status each role gets. The table below is written out by hand
(not derived from backoffice.roles), so a change to a role or to an admin shows up here.

Each cell is four characters, for the list, add, change and delete pages: ``+`` is 200 (the
page opens; a change page may be read-only), ``-`` is 403. Every user here has two-factor
authentication on, so the health-data pages open for the roles that may read them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from accounts import demo as accounts_demo
from accounts.models import User
from aftercare.models import BookingSeries, Feedback
from backoffice.models import AuditEntry
from backoffice.roles import OPERATIONS_LEAD, SUPPORT
from clients.models import IntakeAccessLog
from core.models import Email
from payments.models import Customer, Payment, PaymentPolicy, WebhookEvent
from tests import factories
from tests.aftercare.factories import ReminderFactory, SessionNoteFactory, past_visit
from therapists.models import DateOverride, TimeOff

pytestmark = pytest.mark.django_db

NO_GROUP = "(no group)"

#                                      Support  Ops lead  no group
EXPECTED: dict[str, tuple[str, str, str]] = {
    "account.emailaddress": ("+-+-", "++++", "----"),
    "accounts.user": ("+-+-", "++++", "----"),
    "aftercare.bookingseries": ("+-+-", "++++", "----"),
    "aftercare.feedback": ("+-+-", "+-+-", "----"),
    "aftercare.reminder": ("+-+-", "+-++", "----"),
    "aftercare.sessionnote": ("+-+-", "+-+-", "----"),
    "auth.group": ("----", "++++", "----"),
    "backoffice.auditentry": ("----", "+-+-", "----"),
    "booking.booking": ("+++-", "+++-", "----"),
    "clients.clientprofile": ("+-+-", "+-+-", "----"),  # erasure, not delete (backoffice)
    "clients.intake": ("+-+-", "+-+-", "----"),
    "clients.intakeaccesslog": ("----", "+-+-", "----"),
    "core.email": ("+-+-", "+-+-", "----"),
    "django_celery_beat.clockedschedule": ("----", "++++", "----"),
    "django_celery_beat.crontabschedule": ("----", "++++", "----"),
    "django_celery_beat.intervalschedule": ("----", "++++", "----"),
    "django_celery_beat.periodictask": ("----", "++++", "----"),
    "django_celery_beat.solarschedule": ("----", "++++", "----"),
    "mfa.authenticator": ("----", "+-++", "----"),
    "payments.customer": ("+-+-", "+-++", "----"),
    "payments.payment": ("+-+-", "+-+-", "----"),
    "payments.paymentpolicy": ("+-+-", "++++", "----"),
    "payments.webhookevent": ("----", "+-++", "----"),
    "therapists.dateoverride": ("+-+-", "++++", "----"),
    "therapists.modality": ("+-+-", "+-+-", "----"),
    "therapists.service": ("+-+-", "++++", "----"),
    "therapists.therapistprofile": ("+-+-", "++++", "----"),
    "therapists.timeoff": ("+-+-", "++++", "----"),
    "therapists.weeklyhours": ("+-+-", "++++", "----"),
}
ROLES = (SUPPORT, OPERATIONS_LEAD, NO_GROUP)
PAGES = ("changelist", "add", "change", "delete")


def _one_of_everything() -> None:
    """At least one row of every model the admin shows, so each change and delete page opens."""
    service = factories.ServiceFactory()
    visit = past_visit(service=service)
    SessionNoteFactory(booking=visit)
    Feedback.objects.create(
        booking=visit,
        client=visit.client,
        therapist=visit.therapist,
        soreness=3,
        pressure=Feedback.Pressure.RIGHT,
        rating=5,
    )
    ReminderFactory(client=visit.client)
    BookingSeries.objects.create(
        client=visit.client,
        therapist=visit.therapist,
        service=service,
        interval_weeks=2,
        visit_count=2,
    )
    owner = factories.StaffFactory()
    IntakeAccessLog.objects.create(
        client=visit.client, intake=visit.intake, viewer=owner, record="intake"
    )
    EmailAddress.objects.create(user=visit.client.user, email=visit.client.user.email)
    AuditEntry.objects.create(
        actor=owner,
        actor_email=owner.email,
        action=AuditEntry.Action.CLIENT_EXPORT,
        subject_type="clients.clientprofile",
        subject_id=visit.client.pk,
    )
    Email.objects.create(
        kind="test", to="a@example.com", due_at=timezone.now(), next_attempt_at=timezone.now()
    )
    factories.WeeklyHoursFactory(therapist=service.therapist)
    DateOverride.objects.create(
        therapist=service.therapist,
        date=timezone.localdate() + dt.timedelta(days=3),
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    TimeOff.objects.create(
        therapist=service.therapist,
        starts_at=timezone.now() + dt.timedelta(days=5),
        ends_at=timezone.now() + dt.timedelta(days=6),
    )
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    CrontabSchedule.objects.get_or_create(minute="5")
    IntervalSchedule.objects.get_or_create(every=7, period=IntervalSchedule.MINUTES)
    SolarSchedule.objects.create(event="sunrise", latitude=40.7, longitude=-74.0)
    Customer.objects.create(client=visit.client, stripe_id="cus_test")
    Payment.objects.create(
        booking=visit,
        action=Payment.Action.BALANCE,
        amount_cents=9500,
        idempotency_key="test-balance",
    )
    PaymentPolicy.objects.get_or_create(therapist=service.therapist)
    WebhookEvent.objects.create(event_id="evt_test", type="test", payload={})
    assert PeriodicTask.objects.exists() and Authenticator.objects.exists()


def _staff_in(role: str):
    user = factories.StaffFactory(is_superuser=False)  # two-factor authentication on
    if role != NO_GROUP:
        user.groups.add(Group.objects.get(name=role))
    return user


def _url(model, page: str) -> str:
    opts = model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}_{page}"
    if page in ("change", "delete"):
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"no {opts.label} row to open"
        return reverse(name, args=[obj.pk])
    return reverse(name)


def test_the_table_names_every_model_the_admin_shows():
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert registered == set(EXPECTED), (
        f"add rows for {sorted(registered - set(EXPECTED))}; "
        f"drop rows for {sorted(set(EXPECTED) - registered)}"
    )


def test_both_roles_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {SUPPORT, OPERATIONS_LEAD}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_pages(client, role):
    _one_of_everything()
    client.force_login(_staff_in(role))
    assert client.get(reverse("admin:index")).status_code == 200
    column = ROLES.index(role)
    wrong = []
    for model in admin.site._registry:
        expected = EXPECTED[model._meta.label_lower][column]
        for page, sign in zip(PAGES, expected, strict=True):
            status = client.get(_url(model, page)).status_code
            want = 200 if sign == "+" else 403
            if status != want:
                wrong.append(f"{model._meta.label_lower} {page}: {status}, expected {want}")
    assert not wrong, f"{role}:\n" + "\n".join(sorted(wrong))


HEALTH = ("clients.intake", "aftercare.sessionnote", "aftercare.feedback")


def test_support_without_two_factor_sees_no_health_data(client):
    _one_of_everything()
    support = factories.StaffFactory(is_superuser=False, mfa=False)
    support.groups.add(Group.objects.get(name=SUPPORT))
    client.force_login(support)
    for label in HEALTH:
        model = next(m for m in admin.site._registry if m._meta.label_lower == label)
        assert client.get(_url(model, "changelist")).status_code == 403, label
        assert client.get(_url(model, "change")).status_code == 403, label
    # The rest of Support's work still opens.
    assert client.get(reverse("admin:booking_booking_changelist")).status_code == 200


def test_support_reads_an_intake_only_through_the_logged_page(client):
    visit = past_visit()
    support = _staff_in(SUPPORT)
    client.force_login(support)
    url = reverse("admin:clients_intake_change", args=[visit.intake.pk])
    assert client.get(url).status_code == 200
    assert IntakeAccessLog.objects.filter(
        viewer=support, intake=visit.intake, context="admin"
    ).exists()


def test_support_cannot_change_rates_modalities_or_roles(client):
    service = factories.ServiceFactory()
    client_user = factories.ClientProfileFactory().user
    client.force_login(_staff_in(SUPPORT))
    price = service.price
    response = client.post(
        reverse("admin:therapists_service_change", args=[service.pk]),
        {"price": "1.00", "modality": service.modality.pk, "duration_minutes": 60},
    )
    assert response.status_code == 403
    service.refresh_from_db()
    assert service.price == price
    response = client.post(
        reverse("admin:accounts_user_change", args=[client_user.pk]),
        {"email": client_user.email, "role": "staff", "is_staff": "on"},
    )
    assert response.status_code == 403
    client_user.refresh_from_db()
    assert not client_user.is_staff


def test_an_operations_lead_cannot_make_a_superuser_or_change_one(client):
    lead = _staff_in(OPERATIONS_LEAD)
    boss = factories.StaffFactory()  # a superuser
    client.force_login(lead)
    boss_page = client.get(reverse("admin:accounts_user_change", args=[boss.pk]))
    assert boss_page.status_code == 200  # read-only
    assert 'name="email"' not in boss_page.content.decode()
    response = client.post(
        reverse("admin:accounts_user_change", args=[boss.pk]),
        {"email": "taken@example.com", "role": "staff"},
    )
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.email != "taken@example.com"
    assert client.get(reverse("admin:auth_user_password_change", args=[boss.pk])).status_code == 403
    own = client.get(reverse("admin:accounts_user_change", args=[lead.pk])).content.decode()
    assert 'name="is_superuser"' not in own
    assert 'name="is_staff"' in own  # the rest of the page is editable


def test_the_intake_list_shows_no_health_data_only_whose_intake_it_is(client):
    visit = past_visit()
    client.force_login(_staff_in(SUPPORT))
    page = client.get(reverse("admin:clients_intake_changelist")).content.decode()
    assert str(visit.client) in page
    assert "Pressure" not in page and "screening" not in page.lower()
    assert not IntakeAccessLog.objects.exists()  # a list is not a look at the intake


def test_the_demo_support_login_has_the_support_role(client):
    logins = dict(accounts_demo.seed(password="demo-pass-123"))
    accounts_demo.seed(password="demo-pass-123")  # idempotent
    support = User.objects.get(email=logins["staff (Support role)"])
    assert list(support.groups.values_list("name", flat=True)) == [SUPPORT]
    assert support.is_staff and not support.is_superuser


# The actions each role is offered on the lists where staff act (besides Django's "delete
# selected", which follows the delete permission in the table above).
ACTIONS: dict[str, tuple[set[str], set[str]]] = {
    #                            Support                     Operations lead (same unless named)
    "booking.booking": (
        {
            "confirm",
            "record_clearance",
            "move",
            "cancel_for_client",
            "cancel_for_business",
            "mark_completed",
            "mark_no_show",
        },
        set(),
    ),
    "therapists.therapistprofile": (set(), {"approve", "reject", "suspend"}),
    "aftercare.reminder": ({"retry_failed", "cancel_reminders"}, set()),
    "core.email": ({"retry"}, set()),
    "aftercare.feedback": ({"record_follow_up", "approve_comments", "reject_comments"}, set()),
}


@pytest.mark.parametrize("label", list(ACTIONS))
def test_each_role_is_offered_exactly_its_actions(rf, label):
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    model_admin = admin.site._registry[model]
    support_actions, lead_extra = ACTIONS[label]
    for role, expected in (
        (SUPPORT, support_actions),
        (OPERATIONS_LEAD, support_actions | lead_extra),
        (NO_GROUP, set()),
    ):
        request = rf.get("/")
        request.user = _staff_in(role)
        offered = set(model_admin.get_actions(request)) - {"delete_selected"}
        assert offered == expected, f"{role} on {label}"
