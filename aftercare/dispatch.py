"""Sending due reminders: each one exactly once, nothing lost.

Called by the Celery task ``aftercare.tasks.dispatch_due_reminders`` (beat, every minute).
Several of these may run at once, on several workers; they share the work row by row.

PostgreSQL (``select_for_update(skip_locked=True)``): one short transaction per reminder
    1. lock the oldest due PENDING row, skipping rows another worker holds;
    2. decide: cancelled visit, too late (stale), reminders turned off → mark and move on;
    3. render, mark it SENT, hand the e-mail to the mail backend, COMMIT.
   A worker killed anywhere before the COMMIT leaves nothing behind: the database rolls the
   transaction back and releases the lock, and the row is PENDING again for the next run.
   Marking before sending means the COMMIT is the only thing left after the mail server has
   accepted the message: that moment (microseconds) is the one place a kill can make a
   reminder go out twice; the Message-ID is the same on every attempt, so mail systems that
   de-duplicate show it once. A send that raises is recorded in the same transaction (attempt
   counted, retried later with back-off, FAILED after ``MAX_ATTEMPTS``).

Elsewhere (SQLite: ``make run``, the fast tests): a conditional
    ``UPDATE … SET status='sending' WHERE id=… AND status='pending'`` whose row count says which
   worker won; then send, then mark SENT. A row left SENDING by a worker that died is put back
   to PENDING after ``CLAIM_LEASE`` (longer than Celery's hard time limit, so its worker is
   certainly gone).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from booking.models import Booking

from .messages import absolute, render_reminder, unsubscribe_url
from .models import Reminder

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = int(getattr(settings, "AFTERCARE_MAX_ATTEMPTS", 5))
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=1)
# A claim older than this belongs to a worker that died: Celery kills a task after its hard
# time limit, so no live worker still holds it.
CLAIM_LEASE = dt.timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 120)) + 60)
# One run stops taking new rows after this, well inside Celery's soft time limit; if due rows
# remain, the task queues another run at once.
TIME_BUDGET = dt.timedelta(seconds=45)
SQLITE_BATCH = 50


@dataclass
class DispatchResult:
    sent: int = 0
    skipped: int = 0
    cancelled: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0
    more: bool = False  # stopped on the time budget with due rows left

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


# --- Deciding ---------------------------------------------------------------------------------

SEND = "send"


def decide(reminder: Reminder, *, now: dt.datetime) -> tuple[str, str]:
    """(status, skip_reason) the row should end in without sending, or (SEND, "")."""
    booking = reminder.booking
    if booking is not None:
        if reminder.kind == Reminder.Kind.VISIT_TOMORROW:
            if booking.status not in Booking.ACTIVE_STATUSES:
                return Reminder.Status.CANCELLED, ""
        elif booking.status != Booking.Status.COMPLETED:
            return Reminder.Status.CANCELLED, ""
    if reminder.stale_after is not None and now > reminder.stale_after:
        return Reminder.Status.SKIPPED, Reminder.SkipReason.STALE
    client = reminder.client
    if not client.email_reminders or not client.user.is_active or not client.user.email:
        return Reminder.Status.SKIPPED, Reminder.SkipReason.REMINDERS_OFF
    if reminder.kind == Reminder.Kind.FOLLOW_UP and booking is not None:
        booked_again = (
            Booking.objects.filter(
                client_id=booking.client_id,
                status__in=Booking.ACTIVE_STATUSES,
                starts_at__gt=booking.starts_at,
            )
            .exclude(pk=booking.pk)
            .exists()
        )
        if booked_again:
            return Reminder.Status.SKIPPED, Reminder.SkipReason.ALREADY_BOOKED
    return SEND, ""


# --- The e-mail -------------------------------------------------------------------------------


def build_message(
    reminder: Reminder, *, now: dt.datetime
) -> tuple[EmailMultiAlternatives, str, str]:
    """The e-mail for a reminder, rendered now (fresh names, links and free times), with a
    one-click unsubscribe (RFC 8058) and a Message-ID that is the same on every attempt."""
    subject, body = render_reminder(reminder, now=now, for_send=True)
    unsubscribe = absolute(unsubscribe_url(reminder.client))
    context = {"subject": subject, "body": body, "unsubscribe_url": unsubscribe}
    text = render_to_string("aftercare/email/reminder.txt", context)
    html = render_to_string("aftercare/email/reminder.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[reminder.client.user.email],
        headers={
            "Message-ID": reminder.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-HomeKnots-Reminder": str(reminder.pk),
        },
    )
    message.attach_alternative(html, "text/html")
    return message, subject, body


class _Mailer:
    """One mail connection for a whole run (one SMTP session, not one per reminder), opened
    again after an error so one bad send does not break the rest."""

    def __init__(self) -> None:
        self._connection = None

    def send(self, message: EmailMultiAlternatives) -> None:
        if self._connection is None:
            self._connection = mail.get_connection()
            self._connection.open()
        message.connection = self._connection
        try:
            sent = self._connection.send_messages([message])
        except Exception:
            self.close()
            raise
        if sent != 1:
            self.close()
            raise OSError("the mail backend did not accept the message")

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # closing a broken SMTP session may fail too; nothing to keep
                logger.warning("closing the mail connection failed", exc_info=True)
            self._connection = None


def _failure_fields(reminder: Reminder, exc: BaseException, *, now: dt.datetime) -> dict:
    attempts = reminder.attempts + 1
    fields: dict = {
        "attempts": attempts,
        "last_error": f"{type(exc).__name__}: {exc}"[:2000],
        "sent_at": None,
        "sent_by": "",
        "claim_token": "",
        "claimed_at": None,
        "updated_at": timezone.now(),
    }
    if attempts >= MAX_ATTEMPTS:
        fields["status"] = Reminder.Status.FAILED
        logger.error(
            "reminder %s failed for good after %s attempts: %s", reminder.pk, attempts, exc
        )
    else:
        fields["status"] = Reminder.Status.PENDING
        fields["next_attempt_at"] = now + backoff(attempts)
        logger.warning(
            "reminder %s send failed (attempt %s), retrying: %s", reminder.pk, attempts, exc
        )
    return fields


# --- The two ways of taking a row ---------------------------------------------------------------


def _due(now: dt.datetime):
    return Reminder.objects.filter(status=Reminder.Status.PENDING, next_attempt_at__lte=now)


def _load(pk: int, booking_id: int | None) -> Reminder:
    """The row with what deciding and rendering need, in one query."""
    related = ["client__user"]
    if booking_id is not None:
        related += ["booking__therapist", "booking__service", "booking__client__user"]
    return Reminder.objects.select_related(*related).get(pk=pk)


def _send_one_locked(
    *, now: dt.datetime, mailer: _Mailer, worker: str, result: DispatchResult
) -> bool:
    """PostgreSQL: lock, decide, mark, send, commit. False when nothing is due."""
    with transaction.atomic():
        # Lock only this table's row (not the client's or the visit's, which bookings lock),
        # and select as little as possible: this query runs once per reminder.
        row = (
            _due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "booking_id")
            .first()
        )
        if row is None:
            return False
        reminder = _load(*row)
        _settle(reminder, now=now, mailer=mailer, worker=worker, result=result, claim=None)
    return True


def _send_one_claimed(
    pk: int,
    *,
    now: dt.datetime,
    mailer: _Mailer,
    worker: str,
    result: DispatchResult,
    booking_id: int | None = None,
) -> None:
    """Elsewhere: win the row with a conditional UPDATE, then decide, send and mark."""
    token = uuid.uuid4().hex
    won = (
        _due(now)
        .filter(pk=pk)
        .update(
            status=Reminder.Status.SENDING,
            claimed_at=timezone.now(),
            claim_token=token,
            sent_by=worker,
            updated_at=timezone.now(),
        )
    )
    if not won:
        return  # another worker got there first
    reminder = _load(pk, booking_id)
    _settle(reminder, now=now, mailer=mailer, worker=worker, result=result, claim=token)


def _settle(
    reminder: Reminder,
    *,
    now: dt.datetime,
    mailer: _Mailer,
    worker: str,
    result: DispatchResult,
    claim: str | None,
) -> None:
    """Take one held row to its next state. ``claim`` is the SQLite claim token (the row is
    SENDING and ours), or None on PostgreSQL (the row is PENDING and locked by us)."""
    held = Reminder.objects.filter(pk=reminder.pk)
    held = held.filter(status=Reminder.Status.SENDING, claim_token=claim) if claim else held
    status, reason = decide(reminder, now=now)
    if status != SEND:
        held.update(status=status, skip_reason=reason, claim_token="", updated_at=timezone.now())
        if status == Reminder.Status.CANCELLED:
            result.cancelled += 1
        else:
            result.skipped += 1
        return
    try:
        message, subject, body = build_message(reminder, now=now)
    except Exception as exc:  # a rendering bug must not stop the other reminders
        logger.exception("reminder %s could not be rendered", reminder.pk)
        _count_failure(held.update(**_failure_fields(reminder, exc, now=now)), reminder, result)
        return
    sent_fields = {
        "status": Reminder.Status.SENT,
        "skip_reason": "",
        "sent_at": now,
        "sent_by": worker,
        "attempts": F("attempts") + 1,
        "subject": subject,
        "body": body,
        "last_error": "",
        "claim_token": "",
        "updated_at": timezone.now(),
    }
    if claim is None:
        # PostgreSQL: mark first, inside the transaction; only the COMMIT follows the send.
        held.update(**sent_fields)
        try:
            mailer.send(message)
        except Exception as exc:
            Reminder.objects.filter(pk=reminder.pk).update(
                **_failure_fields(reminder, exc, now=now)
            )
            _count_failure(1, reminder, result)
            return
        result.sent += 1
        return
    try:
        mailer.send(message)
    except Exception as exc:
        _count_failure(held.update(**_failure_fields(reminder, exc, now=now)), reminder, result)
        return
    if held.update(**sent_fields):
        result.sent += 1
    else:  # only if our claim was taken back as abandoned, which the lease makes impossible
        logger.error("reminder %s was sent but its claim had been released", reminder.pk)


def _count_failure(updated: int, reminder: Reminder, result: DispatchResult) -> None:
    if not updated:
        return
    if reminder.attempts + 1 >= MAX_ATTEMPTS:
        result.failed += 1
    else:
        result.retrying += 1


def recover_abandoned_claims(*, now: dt.datetime | None = None) -> int:
    """SENDING rows whose worker died go back to PENDING (SQLite path only ever makes them)."""
    real_now = timezone.now()
    return Reminder.objects.filter(
        status=Reminder.Status.SENDING, claimed_at__lt=real_now - CLAIM_LEASE
    ).update(
        status=Reminder.Status.PENDING,
        claim_token="",
        next_attempt_at=now or real_now,
        last_error="The worker stopped while sending; it will be sent again.",
        updated_at=real_now,
    )


def reminders_dispatch_due(
    *,
    now: dt.datetime | None = None,
    time_budget: dt.timedelta = TIME_BUDGET,
    worker: str | None = None,
) -> DispatchResult:
    """Send every reminder due at ``now`` (default: the clock, read again for each row) that
    no other worker is sending. Safe to run any number of times, at the same time."""
    fixed_now = now
    worker = worker or worker_name()
    result = DispatchResult(recovered=recover_abandoned_claims(now=now))
    deadline = time.monotonic() + time_budget.total_seconds()
    mailer = _Mailer()
    locking = connection.features.has_select_for_update_skip_locked
    try:
        while True:
            if time.monotonic() > deadline:
                result.more = _due(fixed_now or timezone.now()).exists()
                break
            current = fixed_now or timezone.now()
            if locking:
                if not _send_one_locked(now=current, mailer=mailer, worker=worker, result=result):
                    break
                continue
            batch = list(
                _due(current)
                .order_by("next_attempt_at", "pk")
                .values_list("pk", "booking_id")[:SQLITE_BATCH]
            )
            if not batch:
                break
            for pk, booking_id in batch:
                _send_one_claimed(
                    pk,
                    now=current,
                    mailer=mailer,
                    worker=worker,
                    result=result,
                    booking_id=booking_id,
                )
                if time.monotonic() > deadline:
                    break
    finally:
        mailer.close()
    if result.sent or result.skipped or result.failed or result.retrying or result.cancelled:
        logger.info("reminders dispatched: %s", result.as_dict())
    return result
