"""A client's data: everything held about them, and erasing them (docs/admin.md).

- :func:`client_export` gathers every row held about one client, from every app, into one
  JSON-ready dict (the download and the readable page are made from it). It contains health
  data, so it is logged like any other view of it, and written to the audit log.
- :func:`client_erase` keeps what the business must keep (past visits with their prices and
  times, payments and refunds) without who they were, and deletes or blanks the rest: the
  health intakes, the text of session notes and feedback, the messages sent, the address and
  contact details, the login. Future visits are cancelled through ``booking_cancel`` first, so
  the therapist hears of it and a deposit goes back. One transaction; running it again on an
  erased client changes nothing but the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from aftercare.models import BookingSeries, Feedback, Reminder, SessionNote
from backoffice.models import AuditEntry
from booking.models import Booking, BookingEvent
from booking.services import booking_cancel
from clients.models import ClientProfile, Intake, IntakeAccessLog, PainArea
from clients.services import health_view_record
from core.models import Delivery, Email
from payments.models import Checkout, Customer, Payment, Refund

ERASED_DOMAIN = "erased.invalid"
CANCEL_REASON = "The client's data was erased at their request."

# Never exported: a password hash is not "data about" anyone, and it would help an attacker.
_NEVER_EXPORTED = {"password"}


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@{ERASED_DOMAIN}"


def is_erased(client: ClientProfile) -> bool:
    return client.user.email == erased_email(client.user_id)


def _row(obj: models.Model, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every concrete column of ``obj`` (foreign keys as their ids), by column name."""
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in _NEVER_EXPORTED or f.name in skip:
            continue
        out[f.attname] = getattr(obj, f.attname)
    return out


def _rows(queryset: models.QuerySet[Any], **kwargs: Any) -> list[dict[str, Any]]:
    return [_row(obj, **kwargs) for obj in queryset]


# The sections of an export, in the order the readable page shows them.
SECTIONS = (
    ("account", "Account"),
    ("profile", "Profile, address and contact"),
    ("intakes", "Health intakes (every version)"),
    ("pain_areas", "Pain areas in the intakes"),
    ("bookings", "Visits"),
    ("booking_events", "Changes to the visits"),
    ("session_notes", "Session notes"),
    ("feedback", "Feedback after visits"),
    ("series", "Series of visits"),
    ("reminders", "Reminders"),
    ("emails", "Other e-mails"),
    ("payment_customer", "Card on file"),
    ("payments", "Payments"),
    ("refunds", "Refunds"),
    ("checkouts", "Checkouts"),
    ("health_data_access_log", "Who looked at the health data"),
    ("audit_log", "Exports and erasures"),
)


def client_export_data(*, client: ClientProfile) -> dict[str, Any]:
    """Every row held about ``client`` (a read: nothing logged; use :func:`client_export`)."""
    user = client.user
    bookings = Booking.objects.filter(client=client).order_by("starts_at", "pk")
    payments = Payment.objects.filter(booking__client=client).order_by("created_at", "pk")
    customer = Customer.objects.filter(client=client).first()
    return {
        "account": [_row(user, skip=("is_superuser", "is_staff"))],
        "profile": [_row(client)],
        "intakes": _rows(Intake.objects.filter(client=client).order_by("version")),
        "pain_areas": _rows(PainArea.objects.filter(intake__client=client).order_by("pk")),
        "bookings": _rows(bookings),
        "booking_events": _rows(
            BookingEvent.objects.filter(booking__client=client).order_by("at", "pk")
        ),
        "session_notes": _rows(SessionNote.objects.filter(client=client).order_by("pk")),
        "feedback": _rows(Feedback.objects.filter(client=client).order_by("pk")),
        "series": _rows(BookingSeries.objects.filter(client=client).order_by("pk")),
        "reminders": _rows(
            Reminder.objects.filter(client=client).order_by("due_at", "pk"),
            skip=("claim_token", "claimed_at", "sent_by"),
        ),
        "emails": _rows(
            Email.objects.filter(to__iexact=user.email).order_by("created_at", "pk"),
            skip=("claim_token", "claimed_at", "sent_by"),
        ),
        "payment_customer": [_row(customer)] if customer is not None else [],
        "payments": _rows(payments),
        "refunds": _rows(Refund.objects.filter(payment__booking__client=client).order_by("pk")),
        "checkouts": _rows(Checkout.objects.filter(client=client).order_by("pk")),
        "health_data_access_log": [
            {
                "viewed_at": log.viewed_at,
                "viewer": log.viewer.display_name,
                "viewer_role": log.viewer.role,
                "record": log.record,
                "intake_id": log.intake_id,
                "context": log.context,
            }
            for log in IntakeAccessLog.objects.filter(client=client)
            .select_related("viewer")
            .order_by("viewed_at", "pk")
        ],
        "audit_log": [
            {"at": e.at, "action": e.action, "actor": e.actor_email}
            for e in AuditEntry.objects.filter(
                subject_type=_SUBJECT_TYPE, subject_id=client.pk
            ).order_by("at", "pk")
        ],
    }


_SUBJECT_TYPE = "clients.clientprofile"


def _audit(*, actor: User, action: str, client: ClientProfile, detail: dict[str, Any]) -> None:
    AuditEntry.objects.create(
        actor=actor,
        actor_email=actor.email,
        action=action,
        subject_type=_SUBJECT_TYPE,
        subject_id=client.pk,
        detail=detail,
    )


def client_export(*, client: ClientProfile, actor: User) -> dict[str, Any]:
    """Everything held about ``client``, for ``actor`` (staff allowed to see health data: the
    caller checks). The health data in it is logged as seen by ``actor``, and the export is
    written to the audit log."""
    data = client_export_data(client=client)
    with transaction.atomic():
        for record, present in (
            (IntakeAccessLog.Record.INTAKE, data["intakes"]),
            (IntakeAccessLog.Record.NOTES, data["session_notes"]),
            (IntakeAccessLog.Record.FEEDBACK, data["feedback"]),
        ):
            if present:
                health_view_record(client=client, viewer=actor, record=record, context="export")
        _audit(
            actor=actor,
            action=AuditEntry.Action.CLIENT_EXPORT,
            client=client,
            detail={name: len(rows) for name, rows in data.items()},
        )
    return {
        "format": "homeknots-client-export/1",
        "exported_at": timezone.now(),
        "client_id": client.pk,
        **data,
    }


def erase_preview(*, client: ClientProfile, now: dt.datetime) -> dict[str, int]:
    """How many rows an erasure would cancel, delete, blank or keep (for the confirmation)."""
    bookings = Booking.objects.filter(client=client)
    return {
        "future_visits": bookings.filter(
            status__in=Booking.ACTIVE_STATUSES, starts_at__gte=now
        ).count(),
        "visits_kept": bookings.exclude(
            status__in=Booking.ACTIVE_STATUSES, starts_at__gte=now
        ).count(),
        "intakes": Intake.objects.filter(client=client).count(),
        "session_notes": SessionNote.objects.filter(client=client).count(),
        "feedback": Feedback.objects.filter(client=client).count(),
        "payments": Payment.objects.filter(booking__client=client).count(),
    }


@dataclass
class Erasure:
    client_id: int
    already_erased: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def client_erase(*, client: ClientProfile, actor: User, now: dt.datetime | None = None) -> Erasure:
    """Erase ``client`` (staff allowed to: the caller checks). Steps, in one transaction:

    1. lock the login; if it is already erased, only the audit log hears of it;
    2. cancel every future visit through ``booking_cancel`` (staff for the business: no
       cut-off, no late fee; the therapist is told and a deposit is refunded);
    3. blank what past visits say about the person (address, access notes, reasons) but keep
       their times, service, therapist, status and price, and every payment and refund;
    4. delete the health intakes (their pain areas go with them), keeping the access log's
       rows (who looked, when) without the link to the deleted intake;
    5. blank the text of session notes and feedback (numbers stay, for the reports);
    6. cancel unsent reminders and e-mails, and blank what was sent;
    7. scrub the profile and the login: no name, e-mail, phone or address; no password, no
       second factor, inactive."""
    now = now or timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=client.user_id)
        client.user = user
        if user.email == erased_email(user.pk):
            _audit(
                actor=actor,
                action=AuditEntry.Action.CLIENT_ERASE,
                client=client,
                detail={"already_erased": True},
            )
            return Erasure(client_id=client.pk, already_erased=True)
        old_email = user.email
        counts: dict[str, int] = {}

        future = (
            Booking.objects.filter(
                client=client, status__in=Booking.ACTIVE_STATUSES, starts_at__gte=now
            )
            .select_related("client", "therapist")
            .order_by("starts_at")
        )
        cancelled = 0
        for booking in future:
            booking_cancel(booking=booking, actor=actor, reason=CANCEL_REASON, now=now)
            cancelled += 1
        counts["future_visits_cancelled"] = cancelled

        bookings = Booking.objects.filter(client=client)
        counts["visits_kept"] = bookings.update(
            address="",
            latitude=None,
            longitude=None,
            access_notes="",
            clearance_note="",
            status_reason="",
            intake=None,
        )
        BookingEvent.objects.filter(booking__client=client).update(note="")

        IntakeAccessLog.objects.filter(client=client, intake__isnull=False).update(intake=None)
        counts["intakes_deleted"] = Intake.objects.filter(client=client).count()
        Intake.objects.filter(client=client).delete()

        counts["notes_blanked"] = SessionNote.objects.filter(client=client).update(
            treated_areas=[], trigger_points="", client_response="", advice=""
        )
        counts["feedback_blanked"] = Feedback.objects.filter(client=client).update(
            comment="",
            message="",
            area_soreness={},
            comment_status=Feedback.Moderation.REJECTED,
            suggested_pressure="",
        )

        unsent = (Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.FAILED)
        Reminder.objects.filter(client=client, status__in=unsent).update(
            status=Delivery.Status.CANCELLED
        )
        Reminder.objects.filter(client=client).update(subject="", body="", last_error="")
        emails = Email.objects.filter(to__iexact=old_email)
        emails.filter(status__in=unsent).update(status=Delivery.Status.CANCELLED)
        counts["emails_blanked"] = emails.update(
            to=erased_email(user.pk), subject="", facts={}, last_error=""
        )

        Customer.objects.filter(client=client).update(
            payment_method="", card_brand="", card_last4=""
        )
        Payment.objects.filter(booking__client=client).update(payment_method="")
        Checkout.objects.filter(client=client).update(payment_method="")

        ClientProfile.objects.filter(pk=client.pk).update(
            phone="",
            street="",
            city="",
            postcode="",
            latitude=None,
            longitude=None,
            access_notes="",
            emergency_contact_name="",
            emergency_contact_phone="",
            email_reminders=False,
            email_offers=False,
        )
        # The admin's own history names objects by their str(): the client's name.
        for model, pk in ((ClientProfile, client.pk), (User, user.pk)):
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model), object_id=str(pk)
            ).update(object_repr=f"{model._meta.model_name} #{pk}", change_message="")
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        user.email = erased_email(user.pk)
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["email", "first_name", "last_name", "is_active", "password"])
        client.refresh_from_db()

        _audit(actor=actor, action=AuditEntry.Action.CLIENT_ERASE, client=client, detail=counts)
    return Erasure(client_id=client.pk, counts=counts)
