"""Sending reminders: the reminder table as one queue of the one dispatcher.

``core.delivery`` claims, sends and marks the rows (see its docstring for the protocol and the
exactly-once argument); this module says what is special about reminders: which are no longer
wanted when their moment comes, and what each one says (rendered here, once, when it is sent).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet
from django.template.loader import render_to_string

from booking.models import Booking
from core import delivery
from core.delivery import SEND, DispatchResult
from core.links import absolute

from .messages import render_reminder, unsubscribe_url, visit_facts_many
from .models import Reminder

__all__ = ["SEND", "DispatchResult", "ReminderQueue", "decide", "reminders_dispatch_due"]


def decide(reminder: Reminder, *, now: dt.datetime, booked_again: bool = False) -> tuple[str, str]:
    """(status, skip_reason) the row should end in without sending, or (SEND, "")."""
    booking = reminder.booking
    if booking is not None:
        if reminder.kind == Reminder.Kind.VISIT_TOMORROW:
            wanted = booking.status in (
                Booking.Status.CONFIRMED,
                Booking.Status.AWAITING_CLEARANCE,
            )
        elif reminder.kind in Reminder.AFTERCARE_SAFETY_KINDS:
            # Still "confirmed" after the visit means nobody marked it: the safety part goes
            # out anyway; a cancelled visit or a no-show gets none.
            wanted = booking.status in (Booking.Status.CONFIRMED, Booking.Status.COMPLETED)
        else:
            wanted = booking.status == Booking.Status.COMPLETED
        if not wanted:
            return Reminder.Status.CANCELLED, ""
    if reminder.stale_after is not None and now > reminder.stale_after:
        return Reminder.Status.SKIPPED, Reminder.SkipReason.STALE
    client = reminder.client
    consent = (
        client.email_offers if reminder.kind in Reminder.OFFER_KINDS else client.email_reminders
    )
    if not consent or not client.user.is_active or not client.user.email:
        return Reminder.Status.SKIPPED, Reminder.SkipReason.REMINDERS_OFF
    if reminder.kind == Reminder.Kind.FOLLOW_UP and booked_again:
        return Reminder.Status.SKIPPED, Reminder.SkipReason.ALREADY_BOOKED
    return SEND, ""


def build_message(reminder: Reminder, *, now: dt.datetime) -> EmailMultiAlternatives:
    """The e-mail for a reminder, rendered now (fresh names, links and free times), with a
    one-click unsubscribe (RFC 8058). The dispatcher adds the Message-ID."""
    subject, body = render_reminder(
        reminder, now=now, for_send=True, facts=getattr(reminder, "visit_facts", None)
    )
    offer = reminder.kind in Reminder.OFFER_KINDS
    unsubscribe = absolute(
        unsubscribe_url(reminder.client, kind="offers" if offer else "reminders")
    )
    context = {"subject": subject, "body": body, "unsubscribe_url": unsubscribe, "offer": offer}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("aftercare/email/reminder.txt", context),
        to=[reminder.client.user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-HomeKnots-Reminder": str(reminder.pk),
        },
    )
    message.attach_alternative(
        render_to_string("aftercare/email/reminder.html", context), "text/html"
    )
    # What the client was told, kept on the row for their dashboard and for staff.
    message.hk_copy = (subject, body)  # type: ignore[attr-defined]  # read in copy_fields()
    return message


class ReminderQueue(delivery.Queue):
    name = "reminders"
    model = Reminder

    def load(self, rows: QuerySet[Any]) -> list[Reminder]:
        reminders = list(
            rows.select_related("client__user", "booking__therapist", "booking__service__modality")
        )
        for r in reminders:
            if r.booking is not None and r.booking.client_id == r.client_id:
                r.booking.client = r.client  # the same row: not loaded twice
        # What the messages say about each visit (intake, pain areas, history, notes), for the
        # whole batch in four queries; per row, not on the queue: several threads may
        # dispatch at once.
        facts = visit_facts_many(r.booking for r in reminders if r.booking is not None)
        for r in reminders:
            if r.booking_id is not None:
                r.visit_facts = facts[r.booking_id]
        # "Already booked the next visit?", for every follow-up of the batch in one query.
        follow_ups = [r for r in reminders if r.kind == Reminder.Kind.FOLLOW_UP and r.booking]
        if follow_ups:
            later = Booking.objects.filter(
                client_id__in={r.client_id for r in follow_ups},
                status__in=Booking.ACTIVE_STATUSES,
            ).values_list("client_id", "starts_at")
            starts: dict[int, list[dt.datetime]] = {}
            for client_id, starts_at in later:
                starts.setdefault(client_id, []).append(starts_at)
            for r in follow_ups:
                assert r.booking is not None
                # Per row, not on the queue: several threads may dispatch at once.
                r.booked_again = any(s > r.booking.starts_at for s in starts.get(r.client_id, []))
        return reminders

    def decide(self, row: Reminder, *, now: dt.datetime) -> tuple[str, str]:
        return decide(row, now=now, booked_again=getattr(row, "booked_again", False))

    def build(self, row: Reminder, *, now: dt.datetime) -> EmailMultiAlternatives:
        return build_message(row, now=now)

    def copy_fields(self, row: Reminder, message: Any) -> dict[str, Any]:
        subject, body = message.hk_copy
        return {"subject": subject[:200], "body": body}

    def sent_fields(self, row: Reminder, message: Any) -> dict[str, Any]:
        return {**self.copy_fields(row, message), "skip_reason": ""}

    def skip_fields(self, row: Reminder, status: str, reason: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"skip_reason": reason}
        if reason == Reminder.SkipReason.REMINDERS_OFF:
            # Held back from e-mail, still shown on the client's dashboard: keep what it says.
            subject, body = render_reminder(
                row, now=row.due_at, for_send=False, facts=getattr(row, "visit_facts", None)
            )
            fields.update(subject=subject[:200], body=body)
        return fields


REMINDERS = delivery.register(ReminderQueue())


def reminders_dispatch_due(
    *,
    now: dt.datetime | None = None,
    time_budget: dt.timedelta = delivery.TIME_BUDGET,
    worker: str | None = None,
) -> DispatchResult:
    """Send every reminder due at ``now`` that no other worker is sending."""
    return delivery.dispatch(["reminders"], now=now, time_budget=time_budget, worker=worker)
