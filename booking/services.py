"""Writes for booking. Every change to a booking, from every entry point, goes through a
function here, and every function enforces every rule itself (``booking.policy``): a view, a
form, a signed link, the series flow, admin or a task only translates the refusal.

Concurrency: ``booking_create`` and ``booking_reschedule`` take one row lock on the therapist
and then on the client (``SELECT … FOR NO KEY UPDATE``: it does not block the foreign-key
checks of other inserts, so the constraint backstop below cannot deadlock with it), re-check
the slot with the same selector the pages use, and insert. On PostgreSQL the wait for the lock
is bounded (``lock_timeout``) and a timeout is a clear "busy, try again"; two exclusion
constraints back the lock up (migration 0003). On SQLite every transaction begins IMMEDIATE,
so booking transactions run one at a time. Status changes are conditional UPDATEs whose row
count says whether this request won; the calendar SEQUENCE is bumped in SQL (``F()``).

Nothing slow happens while the lock is held: e-mails are outbox rows rendered after commit
(``booking.emails``), and the apps above hear of the change through ``booking.signals``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from booking import emails, policy
from booking.availability import therapist_locked
from booking.models import Booking, BookingEvent
from booking.policy import (
    CLIENT,
    STAFF,
    THERAPIST,
    BookingBusy,
    BookingChangeRefused,
    BookingRefused,
    ClearanceNoteRequired,
    ClearanceRequired,
    CutoffPassed,
    IntakeOutdated,
    IntakeRequired,
    NotAcceptingNewClients,
    NotAllowed,
    OutOfArea,
    ServiceNotOffered,
    SlotUnavailable,
    TherapistUnavailable,
    cancellation_deadline,
)
from booking.selectors import available_slots
from booking.signals import booking_changed
from clients.care_flags import needs_clearance
from clients.models import ClientProfile, Intake
from therapists.availability import availability_changed
from therapists.models import Service, TherapistProfile

__all__ = [
    "BookingBusy",
    "BookingChangeRefused",
    "BookingRefused",
    "ClearanceNoteRequired",
    "ClearanceRequired",
    "CutoffPassed",
    "IntakeOutdated",
    "IntakeRequired",
    "NotAcceptingNewClients",
    "NotAllowed",
    "OutOfArea",
    "ServiceNotOffered",
    "SlotUnavailable",
    "TherapistUnavailable",
    "booking_cancel",
    "booking_complete",
    "booking_confirm",
    "booking_create",
    "booking_decline",
    "booking_expire",
    "booking_mark_no_show",
    "booking_record_clearance",
    "booking_reschedule",
    "cancellation_deadline",
    "client_may_change",
]

PENDING_HOLD = dt.timedelta(hours=24)
# PostgreSQL's SQLSTATEs for "could not obtain lock" (lock_timeout) and a deadlock, which the
# NO KEY UPDATE lock is there to prevent: either way the honest answer is "try again".
BUSY_SQLSTATES = {"55P03", "40P01"}


def client_may_change(booking: Booking, *, now: dt.datetime | None = None) -> bool:
    return policy.client_may_change(booking, now=now or timezone.now())


# --- Locking and history ----------------------------------------------------------------------


@contextmanager
def _calendar_lock(
    *, therapist_id: int, client_id: int
) -> Iterator[tuple[TherapistProfile, ClientProfile]]:
    """Inside a transaction: lock the therapist's row, then the client's (always in that
    order: no deadlock between two bookings), waiting at most ``BOOKING_LOCK_TIMEOUT_MS``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                [f"{int(settings.BOOKING_LOCK_TIMEOUT_MS)}ms"],
            )
    try:
        therapist = TherapistProfile.objects.select_for_update(no_key=True).get(pk=therapist_id)
        client = ClientProfile.objects.select_for_update(no_key=True).get(pk=client_id)
    except OperationalError as exc:
        raise _busy(exc) from exc
    with therapist_locked(therapist.pk):
        yield therapist, client


def _busy(exc: OperationalError) -> BookingRefused | OperationalError:
    """A lock we could not get in time is a refusal ("busy, try again"); anything else (the
    database went away) stays the error it is."""
    if getattr(exc.__cause__, "pgcode", None) in BUSY_SQLSTATES:
        return BookingBusy()
    if connection.vendor == "sqlite" and "database is locked" in str(exc):
        return BookingBusy()
    return exc


def _record(
    booking: Booking,
    *,
    actor: User | None,
    action: str,
    from_status: str = "",
    from_starts_at: dt.datetime | None = None,
    note: str = "",
    by_client: bool = False,
) -> BookingEvent:
    """The history row of a change, then, in the same transaction, its e-mails (outbox rows)
    and the ``booking_changed`` signal for the apps above."""
    event = BookingEvent.objects.create(
        booking=booking,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=booking.status,
        from_starts_at=from_starts_at,
        to_starts_at=booking.starts_at,
        sequence=booking.sequence,
        note=note[:500],
    )
    emails.enqueue_for_event(booking=booking, event=event)
    # Every booking write changes (or may change) the therapist's free times; the services
    # write with update(), which sends no signal, so the bump is here, once for all of them.
    availability_changed(therapist_id=booking.therapist_id)
    booking_changed.send(
        sender=Booking,
        booking=booking,
        event=event,
        action=action,
        previous_status=from_status,
        previous_starts_at=from_starts_at,
        by_client=by_client,
    )
    return event


def _expire_stale_pending(*, therapist: TherapistProfile, now: dt.datetime) -> None:
    """A pending booking the therapist never answered stops holding its slot."""
    stale = Booking.objects.filter(
        therapist=therapist, status__in=Booking.UNANSWERED_STATUSES, expires_at__lte=now
    ).select_related("client__user", "therapist__user")
    for booking in stale:
        booking_expire(booking=booking, now=now)


# --- Creating ---------------------------------------------------------------------------------


def _first_status(*, therapist: TherapistProfile, intake: Intake) -> str:
    """A screening answer that needs clearance waits for the therapist to see it; otherwise
    the therapist's own setting decides."""
    if needs_clearance(intake=intake):
        return Booking.Status.AWAITING_CLEARANCE
    return Booking.Status.CONFIRMED if therapist.auto_confirm else Booking.Status.PENDING


def _hold_until(status: str, *, now: dt.datetime, starts_at: dt.datetime) -> dt.datetime | None:
    """How long an unanswered booking holds its time: a request a day (at most until the
    visit); a visit waiting for clearance until it starts."""
    if status == Booking.Status.PENDING:
        return min(now + PENDING_HOLD, starts_at)
    if status == Booking.Status.AWAITING_CLEARANCE:
        return starts_at
    return None


def booking_create(
    *,
    client: ClientProfile,
    therapist: TherapistProfile,
    service: Service,
    starts_at: dt.datetime,
    actor: User | None = None,
    clearance_acknowledged: bool = False,
    now: dt.datetime | None = None,
) -> Booking:
    """Book ``service`` with ``therapist`` at ``starts_at`` for ``client``.

    1. lock the therapist row, then the client row;
    2. check every booking rule (``policy.check_can_book``): the service is offered by an
       approved therapist who takes this client (new clients, area); the client has a current
       intake, and has acknowledged any clearance it needs (recorded on the booking);
    3. let unanswered pending bookings past their hold go;
    4. re-check the time with ``available_slots`` (hours, time off, notice, travel, daily cap,
       the client's own bookings);
    5. insert, snapshotting price, address and the intake version; write the history row and
       the e-mails (sent after commit).
    Raises a :class:`BookingRefused` (``SlotUnavailable`` for the time itself).
    """
    now = now or timezone.now()
    if timezone.is_naive(starts_at):
        raise SlotUnavailable(_("That time is not valid."))
    starts_at = starts_at.astimezone(dt.UTC)
    # Cheap checks first, without the lock: most refusals never wait for it.
    policy.check_can_book(
        client=client,
        therapist=therapist,
        service=service,
        clearance_acknowledged=clearance_acknowledged,
        now=now,
    )
    try:
        with (
            transaction.atomic(),
            _calendar_lock(therapist_id=therapist.pk, client_id=client.pk) as (therapist, client),
        ):
            # Again under the lock: approval or "new clients" may just have changed.
            intake = policy.check_can_book(
                client=client,
                therapist=therapist,
                service=service,
                clearance_acknowledged=clearance_acknowledged,
                now=now,
            )
            _expire_stale_pending(therapist=therapist, now=now)
            slots = available_slots(
                therapist=therapist,
                service=service,
                start_date=starts_at.astimezone(therapist.tz).date(),
                days=1,
                client=client,
                now=now,
            )
            if starts_at not in slots:
                raise SlotUnavailable()
            status = _first_status(therapist=therapist, intake=intake)
            booking = Booking.objects.create(
                client=client,
                therapist=therapist,
                service=service,
                intake=intake,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=service.duration_minutes),
                status=status,
                price=service.price,
                address=client.address_one_line,
                latitude=client.latitude,
                longitude=client.longitude,
                access_notes=client.access_notes,
                clearance_acknowledged=clearance_acknowledged,
                expires_at=_hold_until(status, now=now, starts_at=starts_at),
            )
            _record(booking, actor=actor or client.user, action="created")
    except IntegrityError as exc:
        # Only reachable if a write skipped the lock: the exclusion constraint refused it.
        raise SlotUnavailable() from exc
    except OperationalError as exc:
        raise _busy(exc) from exc
    return booking


def _moved_hold(booking: Booking, *, starts_at: dt.datetime) -> dt.datetime | None:
    if booking.status == Booking.Status.AWAITING_CLEARANCE:
        return starts_at
    if booking.status == Booking.Status.PENDING and booking.expires_at is not None:
        return min(booking.expires_at, starts_at)
    return booking.expires_at


# --- Status changes ---------------------------------------------------------------------------


def _transition(
    *,
    booking: Booking,
    actor: User | None,
    from_statuses: tuple[str, ...],
    to_status: str,
    action: str,
    reason: str = "",
    extra: dict[str, object] | None = None,
    by_client: bool = False,
) -> Booking:
    """Move a booking between statuses with a conditional UPDATE: if another request changed
    it first, the count is 0 and this one is refused instead of overwriting."""
    previous = booking.status
    changed = Booking.objects.filter(pk=booking.pk, status__in=from_statuses).update(
        status=to_status,
        status_reason=reason[:500],
        sequence=F("sequence") + 1,
        updated_at=timezone.now(),
        **(extra or {}),
    )
    booking.refresh_from_db()
    if not changed:
        raise BookingChangeRefused(
            _("This visit is now %(status)s; nothing was changed.")
            % {"status": str(booking.get_status_display()).lower()}
        )
    _record(
        booking,
        actor=actor,
        action=action,
        from_status=previous,
        note=reason,
        by_client=by_client,
    )
    return booking


def booking_confirm(*, booking: Booking, actor: User | None) -> Booking:
    """The therapist (or staff) accepts a pending request."""
    policy.require_role(policy.actor_role(booking, actor), THERAPIST, STAFF)
    with transaction.atomic():
        return _transition(
            booking=booking,
            actor=actor,
            from_statuses=(Booking.Status.PENDING,),
            to_status=Booking.Status.CONFIRMED,
            action="confirmed",
            extra={"expires_at": None},
        )


def booking_record_clearance(*, booking: Booking, actor: User | None, note: str) -> Booking:
    """The therapist (or staff) has seen the doctor's clearance: who, when and what is
    recorded, and the visit is confirmed."""
    policy.require_role(policy.actor_role(booking, actor), THERAPIST, STAFF)
    note = note.strip()
    if not note:
        raise ClearanceNoteRequired()
    with transaction.atomic():
        return _transition(
            booking=booking,
            actor=actor,
            from_statuses=(Booking.Status.AWAITING_CLEARANCE,),
            to_status=Booking.Status.CONFIRMED,
            action="clearance_recorded",
            reason=note,
            extra={
                "expires_at": None,
                "clearance_recorded_at": timezone.now(),
                "clearance_recorded_by": actor,
                "clearance_note": note[:500],
            },
        )


def booking_decline(*, booking: Booking, actor: User | None, reason: str = "") -> Booking:
    """The therapist (or staff) turns a request down, or postpones a visit that waits for
    clearance (the client books again once cleared)."""
    policy.require_role(policy.actor_role(booking, actor), THERAPIST, STAFF)
    with transaction.atomic():
        return _transition(
            booking=booking,
            actor=actor,
            from_statuses=Booking.UNANSWERED_STATUSES,
            to_status=Booking.Status.DECLINED,
            action="declined",
            reason=reason,
        )


def booking_expire(*, booking: Booking, now: dt.datetime | None = None) -> Booking | None:
    """A booking nobody answered in time (a request, or a visit whose clearance was never
    recorded before it started): declined by the system. None if it was answered (or
    expired) meanwhile."""
    reason = (
        _("No doctor's clearance was recorded before the visit.")
        if booking.status == Booking.Status.AWAITING_CLEARANCE
        else _("The therapist did not answer in time.")
    )
    try:
        with transaction.atomic():
            return _transition(
                booking=booking,
                actor=None,
                from_statuses=(booking.status,)
                if booking.status in Booking.UNANSWERED_STATUSES
                else (Booking.Status.PENDING,),
                to_status=Booking.Status.DECLINED,
                action="expired",
                reason=str(reason),
            )
    except BookingChangeRefused:
        return None


def booking_cancel(
    *,
    booking: Booking,
    actor: User | None,
    reason: str = "",
    now: dt.datetime | None = None,
    for_client: bool = False,
) -> Booking:
    """Cancel an active booking. The client may cancel only before the cut-off, and so may
    staff acting on the client's request (``for_client``); the therapist and staff acting for
    the business may cancel at any time, the therapist also at the client's request (the
    client phoned inside the cut-off: ``for_client``). The apps above cancel the visit's
    reminders, and settle what was paid (a late cancel by the client costs a fee)."""
    now = now or timezone.now()
    role = policy.actor_role(booking, actor)
    policy.require_role(role, CLIENT, THERAPIST, STAFF)
    if policy.change_rules_for(role, for_client=for_client):
        policy.check_client_change(booking, action="cancel", now=now)
    with transaction.atomic():
        return _transition(
            booking=booking,
            actor=actor,
            from_statuses=Booking.ACTIVE_STATUSES,
            to_status=Booking.Status.CANCELLED,
            action="cancelled",
            reason=reason,
            by_client=role == CLIENT or (for_client and role in (THERAPIST, STAFF)),
        )


def _close_visit(
    *,
    booking: Booking,
    actor: User | None,
    now: dt.datetime | None,
    to_status: str,
    action: str,
    too_early: str,
) -> Booking:
    """End a confirmed visit that has started (completed or no-show); the apps above do what
    goes with it (aftercare) in the same transaction, through ``booking_changed``."""
    policy.require_role(policy.actor_role(booking, actor), THERAPIST, STAFF)
    now = now or timezone.now()
    if booking.starts_at > now:
        raise BookingChangeRefused(too_early)
    with transaction.atomic():
        return _transition(
            booking=booking,
            actor=actor,
            from_statuses=(Booking.Status.CONFIRMED,),
            to_status=to_status,
            action=action,
        )


def booking_complete(
    *, booking: Booking, actor: User | None, now: dt.datetime | None = None
) -> Booking:
    """Mark a visit done (its aftercare plan is created in the same transaction)."""
    return _close_visit(
        booking=booking,
        actor=actor,
        now=now,
        to_status=Booking.Status.COMPLETED,
        action="completed",
        too_early=str(_("A visit can be marked completed once it has started.")),
    )


def booking_mark_no_show(
    *, booking: Booking, actor: User | None, now: dt.datetime | None = None
) -> Booking:
    """The client was not there: no aftercare for this visit."""
    return _close_visit(
        booking=booking,
        actor=actor,
        now=now,
        to_status=Booking.Status.NO_SHOW,
        action="no_show",
        too_early=str(_("A visit can be marked as a no-show once it has started.")),
    )


def booking_reschedule(
    *,
    booking: Booking,
    actor: User | None,
    starts_at: dt.datetime,
    now: dt.datetime | None = None,
    for_client: bool = False,
) -> Booking:
    """Move a visit to a new time, atomically: the new time is checked and taken under the same
    locks as a new booking, in the same transaction that frees the old one, so the client never
    ends up with neither or both. The client (and staff on the client's request) may move a
    visit only before the cut-off."""
    now = now or timezone.now()
    role = policy.actor_role(booking, actor)
    policy.require_role(role, CLIENT, THERAPIST, STAFF)
    if policy.change_rules_for(role, for_client=for_client):
        policy.check_client_change(booking, action="move", now=now)
    if timezone.is_naive(starts_at):
        raise SlotUnavailable(_("That time is not valid."))
    starts_at = starts_at.astimezone(dt.UTC)
    try:
        with (
            transaction.atomic(),
            _calendar_lock(therapist_id=booking.therapist_id, client_id=booking.client_id) as (
                therapist,
                client,
            ),
        ):
            locked = (
                Booking.objects.select_for_update(no_key=True)
                .select_related("service", "client__user", "therapist__user")
                .get(pk=booking.pk)
            )
            if not locked.is_active:
                raise BookingChangeRefused(_("This visit can no longer be moved."))
            if not therapist.is_approved:
                raise TherapistUnavailable()
            slots = available_slots(
                therapist=therapist,
                service=locked.service,
                start_date=starts_at.astimezone(therapist.tz).date(),
                days=1,
                client=client,
                now=now,
                exclude_booking=locked,
            )
            if starts_at not in slots:
                raise SlotUnavailable()
            previous_start = locked.starts_at
            duration = locked.duration
            Booking.objects.filter(pk=locked.pk).update(
                starts_at=starts_at,
                ends_at=starts_at + duration,
                sequence=F("sequence") + 1,
                # An unanswered booking holds its time no later than its new start.
                expires_at=_moved_hold(locked, starts_at=starts_at),
                updated_at=timezone.now(),
            )
            locked.refresh_from_db()
            _record(
                locked,
                actor=actor,
                action="rescheduled",
                from_status=locked.status,
                from_starts_at=previous_start,
                by_client=role == CLIENT or for_client,
            )
    except IntegrityError as exc:
        raise SlotUnavailable() from exc
    except OperationalError as exc:
        raise _busy(exc) from exc
    return locked
