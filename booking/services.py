"""Writes for booking. Every change to a booking goes through a function here.

Concurrency: ``booking_create`` and ``booking_reschedule`` take one row lock on the therapist
(``select_for_update``) and then on the client, re-check the slot with the same selector the
pages use, and insert. On PostgreSQL two exclusion constraints back the lock up (migration
0003); on SQLite every transaction begins IMMEDIATE, so booking transactions run one at a time.
Status changes are conditional UPDATEs whose row count says whether this request won.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from booking.models import Booking, BookingEvent
from booking.selectors import available_slots, client_in_area
from clients.models import ClientProfile
from therapists.models import Service, TherapistProfile

PENDING_HOLD = timedelta(hours=24)


class SlotUnavailable(Exception):
    """The slot is taken, outside the therapist's availability, or unreachable in time."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or str(_("That time is no longer available.")))


class BookingChangeRefused(Exception):
    """A change that the booking's state or the policy does not allow; the message says why."""


def _record(
    booking: Booking,
    *,
    actor: User | None,
    action: str,
    from_status: str = "",
    from_starts_at: datetime | None = None,
    note: str = "",
) -> BookingEvent:
    return BookingEvent.objects.create(
        booking=booking,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=booking.status,
        from_starts_at=from_starts_at,
        to_starts_at=booking.starts_at,
        note=note[:500],
    )


def _notify(booking: Booking, kind: str) -> None:
    # Imported late: notifications render templates and import more of the project.
    from booking import notifications

    notifications.booking_notify(booking=booking, kind=kind)


def _expire_stale_pending(*, therapist: TherapistProfile, now: datetime) -> None:
    """A pending booking the therapist never answered stops holding its slot."""
    stale = Booking.objects.filter(
        therapist=therapist, status=Booking.Status.PENDING, expires_at__lte=now
    )
    for booking in stale:
        booking_expire(booking=booking, now=now)


def booking_create(
    *,
    client: ClientProfile,
    therapist: TherapistProfile,
    service: Service,
    starts_at: datetime,
    actor: User | None = None,
    clearance_acknowledged: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book ``service`` with ``therapist`` at ``starts_at`` for ``client``.

    1. lock the therapist row, then the client row (always in that order: no deadlock);
    2. let unanswered pending bookings past their hold go;
    3. re-check the slot with ``available_slots`` (hours, time off, notice, travel, daily cap,
       area, the client's own bookings);
    4. insert, snapshotting price, address and the current intake version;
    5. after commit, e-mail the client and the therapist.
    Raises :class:`SlotUnavailable` if any check fails or the database refuses the overlap.
    """
    from clients.selectors import intake_current

    now = now or timezone.now()
    if service.therapist_id != therapist.pk or not service.is_active:
        raise SlotUnavailable(str(_("This therapist does not offer that service.")))
    if not therapist.is_approved:
        raise SlotUnavailable(str(_("This therapist is not taking bookings.")))
    if not client_in_area(therapist=therapist, client=client):
        raise SlotUnavailable(str(_("Your address is outside this therapist's area.")))
    if timezone.is_naive(starts_at):
        raise SlotUnavailable(str(_("That time is not valid.")))
    starts_at = starts_at.astimezone(UTC)
    try:
        with transaction.atomic():
            therapist = TherapistProfile.objects.select_for_update().get(pk=therapist.pk)
            client = ClientProfile.objects.select_for_update().get(pk=client.pk)
            _expire_stale_pending(therapist=therapist, now=now)
            local_day = starts_at.astimezone(therapist.tz).date()
            slots = available_slots(
                therapist=therapist,
                service=service,
                start_date=local_day,
                days=1,
                client=client,
                now=now,
            )
            if starts_at not in slots:
                raise SlotUnavailable()
            status = Booking.Status.CONFIRMED if therapist.auto_confirm else Booking.Status.PENDING
            booking = Booking.objects.create(
                client=client,
                therapist=therapist,
                service=service,
                intake=intake_current(client=client),
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=service.duration_minutes),
                status=status,
                price=service.price,
                address=client.address_one_line,
                latitude=client.latitude,
                longitude=client.longitude,
                access_notes=client.access_notes,
                clearance_acknowledged=clearance_acknowledged,
                expires_at=(
                    min(now + PENDING_HOLD, starts_at) if status == Booking.Status.PENDING else None
                ),
            )
            _record(booking, actor=actor or client.user, action="created")
            _notify(booking, "confirmed" if status == Booking.Status.CONFIRMED else "received")
    except IntegrityError as exc:
        # Only reachable if a write skipped the lock: the exclusion constraint refused it.
        raise SlotUnavailable() from exc
    return booking


def _transition(
    *,
    booking: Booking,
    actor: User | None,
    from_statuses: tuple[str, ...],
    to_status: str,
    action: str,
    reason: str = "",
) -> Booking:
    """Move a booking between statuses with a conditional UPDATE: if another request changed
    it first, the count is 0 and this one is refused instead of overwriting."""
    previous = booking.status
    changed = Booking.objects.filter(pk=booking.pk, status__in=from_statuses).update(
        status=to_status,
        status_reason=reason[:500],
        sequence=booking.sequence + 1,
        updated_at=timezone.now(),
    )
    if not changed:
        booking.refresh_from_db()
        raise BookingChangeRefused(
            _("This visit is now %(status)s; nothing was changed.")
            % {"status": booking.get_status_display().lower()}
        )
    booking.refresh_from_db()
    _record(booking, actor=actor, action=action, from_status=previous, note=reason)
    return booking


def booking_confirm(*, booking: Booking, actor: User | None) -> Booking:
    with transaction.atomic():
        booking = _transition(
            booking=booking,
            actor=actor,
            from_statuses=(Booking.Status.PENDING,),
            to_status=Booking.Status.CONFIRMED,
            action="confirmed",
        )
        Booking.objects.filter(pk=booking.pk).update(expires_at=None)
        _notify(booking, "confirmed")
    return booking


def booking_decline(*, booking: Booking, actor: User | None, reason: str = "") -> Booking:
    with transaction.atomic():
        booking = _transition(
            booking=booking,
            actor=actor,
            from_statuses=(Booking.Status.PENDING,),
            to_status=Booking.Status.DECLINED,
            action="declined",
            reason=reason,
        )
        _notify(booking, "declined")
    return booking


def booking_expire(*, booking: Booking, now: datetime | None = None) -> Booking | None:
    """A pending booking nobody answered in time: declined by the system."""
    try:
        # One transaction: the status change, its history row and the e-mail go together.
        with transaction.atomic():
            booking = _transition(
                booking=booking,
                actor=None,
                from_statuses=(Booking.Status.PENDING,),
                to_status=Booking.Status.DECLINED,
                action="expired",
                reason=str(_("The therapist did not answer in time.")),
            )
            _notify(booking, "declined")
    except BookingChangeRefused:
        return None
    return booking


def cancellation_deadline(booking: Booking) -> datetime:
    return booking.starts_at - timedelta(hours=settings.BOOKING_CANCEL_CUTOFF_HOURS)


def client_may_change(booking: Booking, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return booking.is_active and now < cancellation_deadline(booking)


def booking_cancel(
    *, booking: Booking, actor: User | None, reason: str = "", now: datetime | None = None
) -> Booking:
    """Cancel an active booking. A client may cancel only before the cut-off; the therapist and
    staff may cancel at any time. Pending aftercare reminders of the visit are cancelled."""
    from aftercare.services import reminders_cancel_for_booking

    now = now or timezone.now()
    is_client = actor is not None and actor.pk == booking.client.user_id
    if is_client and not client_may_change(booking, now=now):
        raise BookingChangeRefused(
            _(
                "Visits can be cancelled online up to %(hours)s hours before they start. "
                "Please contact your therapist."
            )
            % {"hours": settings.BOOKING_CANCEL_CUTOFF_HOURS}
        )
    with transaction.atomic():
        booking = _transition(
            booking=booking,
            actor=actor,
            from_statuses=Booking.ACTIVE_STATUSES,
            to_status=Booking.Status.CANCELLED,
            action="cancelled",
            reason=reason,
        )
        reminders_cancel_for_booking(booking=booking)
        _notify(booking, "cancelled")
    return booking


def _close_visit(
    *,
    booking: Booking,
    actor: User | None,
    now: datetime | None,
    to_status: str,
    action: str,
    too_early: str,
    then: Callable[..., object],
) -> Booking:
    """End a confirmed visit that has started (completed or no-show) and, in the same
    transaction, run the aftercare step that goes with it."""
    now = now or timezone.now()
    if booking.starts_at > now:
        raise BookingChangeRefused(too_early)
    with transaction.atomic():
        booking = _transition(
            booking=booking,
            actor=actor,
            from_statuses=(Booking.Status.CONFIRMED,),
            to_status=to_status,
            action=action,
        )
        then(booking=booking)
    return booking


def booking_complete(
    *, booking: Booking, actor: User | None, now: datetime | None = None
) -> Booking:
    """Mark a visit done and create its aftercare plan in the same transaction."""
    from aftercare.services import aftercare_plan_create

    return _close_visit(
        booking=booking,
        actor=actor,
        now=now,
        to_status=Booking.Status.COMPLETED,
        action="completed",
        too_early=_("A visit can be marked completed once it has started."),
        then=aftercare_plan_create,
    )


def booking_mark_no_show(
    *, booking: Booking, actor: User | None, now: datetime | None = None
) -> Booking:
    """The client was not there: no aftercare for this visit."""
    from aftercare.services import reminders_cancel_for_booking

    return _close_visit(
        booking=booking,
        actor=actor,
        now=now,
        to_status=Booking.Status.NO_SHOW,
        action="no_show",
        too_early=_("A visit can be marked as a no-show once it has started."),
        then=reminders_cancel_for_booking,
    )


def booking_reschedule(
    *, booking: Booking, actor: User | None, starts_at: datetime, now: datetime | None = None
) -> Booking:
    """Move a visit to a new time, atomically: the new time is checked and taken under the same
    locks as a new booking, in the same transaction that frees the old one, so the client never
    ends up with neither or both."""
    now = now or timezone.now()
    is_client = actor is not None and actor.pk == booking.client.user_id
    if is_client and not client_may_change(booking, now=now):
        raise BookingChangeRefused(
            _(
                "Visits can be moved online up to %(hours)s hours before they start. "
                "Please contact your therapist."
            )
            % {"hours": settings.BOOKING_CANCEL_CUTOFF_HOURS}
        )
    try:
        with transaction.atomic():
            therapist = TherapistProfile.objects.select_for_update().get(pk=booking.therapist_id)
            client = ClientProfile.objects.select_for_update().get(pk=booking.client_id)
            locked = Booking.objects.select_for_update().get(pk=booking.pk)
            if not locked.is_active:
                raise BookingChangeRefused(_("This visit can no longer be moved."))
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
            # Read the length before moving the start: ``duration`` is ends_at - starts_at.
            duration = locked.duration
            locked.starts_at = starts_at
            locked.ends_at = starts_at + duration
            locked.sequence += 1
            locked.save(update_fields=["starts_at", "ends_at", "sequence", "updated_at"])
            _record(
                locked,
                actor=actor,
                action="rescheduled",
                from_status=locked.status,
                from_starts_at=previous_start,
            )
            _notify(locked, "rescheduled")
    except IntegrityError as exc:
        raise SlotUnavailable() from exc
    return locked
