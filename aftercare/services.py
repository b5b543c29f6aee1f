"""Writes for aftercare: the plan of reminders after a visit, the day-before reminder,
session notes, feedback, unsubscribing, and series of visits.

Aftercare hears about visits from ``booking.signals.booking_changed`` (``aftercare.receivers``)
inside the booking's own transaction: a completed visit gets its plan, a confirmed or moved one
its day-before reminder, a cancelled or missed one loses its waiting reminders. It calls down
into ``booking.services`` for the changes it makes itself (series, notes that complete a visit).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from booking.models import Booking
from booking.selectors import available_slots
from booking.services import (
    BookingRefused,
    SlotUnavailable,
    booking_cancel,
    booking_complete,
    booking_create,
)
from clients.body import REGION_BY_SLUG
from clients.models import ClientProfile, Intake
from clients.selectors import intake_current
from clients.services import intake_create
from core import outbox
from therapists.availability import availability_changed
from therapists.models import Service, TherapistProfile

from .dispatch import DispatchResult, reminders_dispatch_due
from .emails import NOTES_NUDGE, THERAPIST_ALERT
from .messages import client_tz
from .models import (
    FOLLOW_UP_DEFAULT_DAYS,
    FOLLOW_UP_MAX_DAYS,
    FOLLOW_UP_MIN_DAYS,
    BookingSeries,
    Feedback,
    Reminder,
    SeriesVisit,
    SessionNote,
)

__all__ = [
    "DispatchResult",
    "aftercare_plan_create",
    "reminder_schedule",
    "reminders_cancel_for_booking",
    "reminders_dispatch_due",
]

logger = logging.getLogger(__name__)

# --- When each reminder goes out (docs/aftercare.md "Timings") --------------------------------

WATER_AFTER = dt.timedelta(hours=2)
WATER_LATEST_HOUR = 21  # local; a visit ending late gets its water reminder soon after instead
WATER_STALE_AFTER = dt.timedelta(days=1)  # "today and tomorrow": a day late it is pointless
NEXT_DAY_HOUR = 9
NEXT_DAY_STALE_AFTER = dt.timedelta(days=2)  # soreness lasts 2–3 days
CHECK_IN_AFTER_DAYS = 4  # before the ~5-day line where lasting soreness means a doctor
CHECK_IN_HOUR = 10
CHECK_IN_STALE_AFTER = dt.timedelta(days=3)
FOLLOW_UP_HOUR = 10
FOLLOW_UP_STALE_AFTER = dt.timedelta(days=7)
# The day-before reminder goes out at this local hour on the day before the visit.
VISIT_TOMORROW_HOUR = 18


def _at_local(day: dt.date, hour: int, tz: Any) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz).astimezone(dt.UTC)


@dataclass(frozen=True)
class PlanStep:
    kind: str
    due_at: dt.datetime
    stale_after: dt.datetime


def plan_schedule(*, booking: Booking, follow_up_days: int) -> list[PlanStep]:
    """The four aftercare moments for a visit, in the client's time zone."""
    tz = client_tz(booking.client)
    end = booking.ends_at
    end_day = timezone.localtime(end, tz).date()
    latest_water = _at_local(end_day, WATER_LATEST_HOUR, tz)
    water = min(end + WATER_AFTER, max(end + dt.timedelta(minutes=15), latest_water))
    next_day = _at_local(end_day + dt.timedelta(days=1), NEXT_DAY_HOUR, tz)
    check_in = _at_local(end_day + dt.timedelta(days=CHECK_IN_AFTER_DAYS), CHECK_IN_HOUR, tz)
    follow_up = _at_local(end_day + dt.timedelta(days=follow_up_days), FOLLOW_UP_HOUR, tz)
    return [
        PlanStep(Reminder.Kind.WATER, water, end + WATER_STALE_AFTER),
        PlanStep(Reminder.Kind.NEXT_DAY, next_day, next_day + NEXT_DAY_STALE_AFTER),
        PlanStep(Reminder.Kind.CHECK_IN, check_in, check_in + CHECK_IN_STALE_AFTER),
        PlanStep(Reminder.Kind.FOLLOW_UP, follow_up, follow_up + FOLLOW_UP_STALE_AFTER),
    ]


def aftercare_plan_create(
    *,
    booking: Booking,
    now: dt.datetime | None = None,
    kinds: tuple[str, ...] = Reminder.PLAN_KINDS,
) -> list[Reminder]:
    """Create (or bring up to date) a visit's aftercare reminders.

    The safety part (water, the day after, the check-in) is planned when a visit is confirmed
    (``kinds=Reminder.AFTERCARE_SAFETY_KINDS``), so it goes out even if nobody marks the visit
    completed; the whole plan, follow-up included, when it is completed, and again when the
    session notes are saved (the follow-up interval comes from them). Runs inside the
    booking's transaction (through ``booking_changed``). Idempotent: a missing reminder is
    inserted (the (booking, kind) constraint turns a concurrent duplicate into a no-op), a
    PENDING one is re-timed, one already sent or skipped is left alone. What the reminders say
    is rendered when each is sent, so notes written later are in them.
    """
    note = SessionNote.objects.filter(booking=booking).only("follow_up_days").first()
    follow_up_days = note.follow_up_days if note else FOLLOW_UP_DEFAULT_DAYS
    steps = [
        step
        for step in plan_schedule(booking=booking, follow_up_days=follow_up_days)
        if step.kind in kinds
    ]
    existing = {r.kind: r for r in booking.reminders.filter(kind__in=Reminder.PLAN_KINDS)}
    new: list[Reminder] = []
    for step in steps:
        reminder = existing.get(step.kind)
        if reminder is None:
            new.append(
                Reminder(
                    client_id=booking.client_id,
                    booking=booking,
                    kind=step.kind,
                    due_at=step.due_at,
                    stale_after=step.stale_after,
                    next_attempt_at=step.due_at,
                )
            )
        elif reminder.status == Reminder.Status.PENDING and reminder.due_at != step.due_at:
            fields: dict[str, Any] = {
                "due_at": step.due_at,
                "stale_after": step.stale_after,
                "updated_at": timezone.now(),
            }
            # A row waiting for a retry keeps its back-off; otherwise it goes at the new time.
            if reminder.attempts == 0:
                fields["next_attempt_at"] = step.due_at
            Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.PENDING).update(**fields)
    if new:
        Reminder.objects.bulk_create(new, ignore_conflicts=True)
    return list(booking.reminders.filter(kind__in=kinds).order_by("due_at"))


def reminders_cancel_for_booking(*, booking: Booking) -> int:
    """A cancelled or missed visit sends nothing more: its waiting reminders are cancelled
    (failed ones too, so a later retry cannot send them). Returns how many."""
    return Reminder.objects.filter(
        booking=booking, status__in=[Reminder.Status.PENDING, Reminder.Status.FAILED]
    ).update(status=Reminder.Status.CANCELLED, updated_at=timezone.now())


def visit_tomorrow_due_at(booking: Booking) -> dt.datetime:
    """18:00 on the day before the visit, where the client lives."""
    tz = client_tz(booking.client)
    day_before = timezone.localtime(booking.starts_at, tz).date() - dt.timedelta(days=1)
    return _at_local(day_before, VISIT_TOMORROW_HOUR, tz)


def visit_tomorrow_schedule(*, booking: Booking, now: dt.datetime | None = None) -> Reminder | None:
    """Schedule (or re-time) the "visit tomorrow" reminder of a confirmed visit. A visit
    booked too late for one gets none: its confirmation says it all."""
    now = now or timezone.now()
    due_at = visit_tomorrow_due_at(booking)
    if due_at <= now:
        Reminder.objects.filter(
            booking=booking, kind=Reminder.Kind.VISIT_TOMORROW, status=Reminder.Status.PENDING
        ).update(status=Reminder.Status.CANCELLED, updated_at=timezone.now())
        return None
    return reminder_schedule(
        client=booking.client,
        kind=Reminder.Kind.VISIT_TOMORROW,
        due_at=due_at,
        booking=booking,
        now=now,
    )


def reminder_schedule(
    *,
    client: ClientProfile,
    kind: str,
    due_at: dt.datetime,
    booking: Booking | None = None,
    stale_after: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Reminder:
    """Schedule one reminder: the one writer of a reminder's timing (with the dispatcher's
    back-off).

    With a booking there is at most one reminder of each kind: calling again (the visit was
    moved) re-times it and makes it pending again, unless it is being sent right now. For a
    visit reminder ``stale_after`` defaults to the visit's start: a reminder the visit has
    overtaken is not sent.
    """
    if kind not in Reminder.Kind.values:
        raise ValueError(f"unknown reminder kind {kind!r}")
    if timezone.is_naive(due_at):
        raise ValueError("due_at must be timezone-aware")
    if stale_after is None and booking is not None and kind == Reminder.Kind.VISIT_TOMORROW:
        stale_after = booking.starts_at
    reminder = Reminder(
        client=client,
        booking=booking,
        kind=kind,
        due_at=due_at,
        stale_after=stale_after,
        next_attempt_at=due_at,
    )
    if booking is None:
        reminder.save()
        return reminder
    try:
        with transaction.atomic():
            reminder.save()
            return reminder
    except IntegrityError:
        pass  # it exists: re-time it below
    Reminder.objects.filter(booking=booking, kind=kind).exclude(
        status=Reminder.Status.SENDING
    ).exclude(status=Reminder.Status.SENT, due_at=due_at).update(
        client=client,
        due_at=due_at,
        stale_after=stale_after,
        next_attempt_at=due_at,
        status=Reminder.Status.PENDING,
        skip_reason="",
        attempts=0,
        last_error="",
        sent_at=None,
        updated_at=timezone.now(),
    )
    return Reminder.objects.get(booking=booking, kind=kind)


def reminder_retry(*, reminder: Reminder, now: dt.datetime | None = None) -> bool:
    """Staff: give a FAILED reminder a fresh set of attempts, starting at the next dispatch."""
    now = now or timezone.now()
    return bool(
        Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.FAILED).update(
            status=Reminder.Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            updated_at=now,
        )
    )


def reminder_cancel(*, reminder: Reminder) -> bool:
    """Staff: stop one reminder that has not been sent."""
    return bool(
        Reminder.objects.filter(
            pk=reminder.pk, status__in=[Reminder.Status.PENDING, Reminder.Status.FAILED]
        ).update(status=Reminder.Status.CANCELLED, updated_at=timezone.now())
    )


REMINDERS = "reminders"  # e-mails about a visit the client booked (safety)
OFFERS = "offers"  # suggestions for the next visit
CONSENTS = {REMINDERS: "email_reminders", OFFERS: "email_offers"}


def client_emails_set(*, client: ClientProfile, kind: str, enabled: bool) -> None:
    """Turn one kind of e-mail on or off (an unsubscribe link, the dashboard, the profile);
    the other kind is never touched. The dispatcher reads the switch when it sends, so it
    applies to reminders already scheduled."""
    field_name = CONSENTS[kind]
    ClientProfile.objects.filter(pk=client.pk).update(
        **{field_name: enabled}, updated_at=timezone.now()
    )
    setattr(client, field_name, enabled)


def client_reminders_set(*, client: ClientProfile, enabled: bool) -> None:
    """Turn the e-mails about booked visits on or off (see :func:`client_emails_set`)."""
    client_emails_set(client=client, kind=REMINDERS, enabled=enabled)


# --- Session notes --------------------------------------------------------------------------


class NoteRefused(Exception):
    """The visit cannot take notes (not started, cancelled…); the message says why."""


def session_note_save(
    *,
    booking: Booking,
    therapist: TherapistProfile,
    treated_areas: Iterable[str],
    pressure_used: int,
    trigger_points: str = "",
    client_response: str = "",
    advice: str = "",
    follow_up_days: int = 14,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> SessionNote:
    """Write (or correct) the notes of a visit, as that visit's therapist.

    A confirmed visit that has started is marked completed in the same transaction (through
    ``booking_complete``, which creates the aftercare plan). On a completed visit the plan is
    brought up to date, so the reminders name the treated areas and follow the interval.
    """
    now = now or timezone.now()
    if booking.therapist_id != therapist.pk:
        raise NoteRefused(_("Only the visit's therapist can write its notes."))
    areas = list(dict.fromkeys(treated_areas))
    errors: dict[str, list[str]] = {}
    if unknown := [a for a in areas if a not in REGION_BY_SLUG]:
        errors["areas"] = [str(_("Unknown body area: %(v)s") % {"v": ", ".join(unknown)})]
    if not 1 <= int(pressure_used) <= 10:
        errors["pressure_used"] = [str(_("Choose a number from 1 to 10."))]
    if not FOLLOW_UP_MIN_DAYS <= int(follow_up_days) <= FOLLOW_UP_MAX_DAYS:
        errors["follow_up_days"] = [
            str(
                _("Choose between %(a)s and %(b)s days.")
                % {"a": FOLLOW_UP_MIN_DAYS, "b": FOLLOW_UP_MAX_DAYS}
            )
        ]
    if errors:
        raise ValidationError(errors)
    if booking.status == Booking.Status.CONFIRMED and booking.starts_at > now:
        raise NoteRefused(_("Notes can be written once the visit has started."))
    if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.COMPLETED):
        raise NoteRefused(
            _("This visit is %(status)s: it takes no notes.")
            % {"status": booking.get_status_display().lower()}
        )
    with transaction.atomic():
        note, _created = SessionNote.objects.update_or_create(
            booking=booking,
            defaults={
                "therapist": therapist,
                "client_id": booking.client_id,
                "treated_areas": areas,
                "pressure_used": int(pressure_used),
                "trigger_points": trigger_points.strip(),
                "client_response": client_response.strip(),
                "advice": advice.strip(),
                "follow_up_days": int(follow_up_days),
            },
        )
        if booking.status == Booking.Status.CONFIRMED:
            try:
                booking_complete(booking=booking, actor=actor, now=now)
            except BookingRefused as exc:
                raise NoteRefused(str(exc)) from exc
            booking.refresh_from_db()
        else:
            aftercare_plan_create(booking=booking, now=now)
    return note


NOTES_NUDGE_AFTER = dt.timedelta(hours=3)


def notes_nudges_enqueue(*, now: dt.datetime | None = None) -> int:
    """One e-mail to the therapist for each visit that ended more than ``NOTES_NUDGE_AFTER``
    ago (within the last month) and has no notes; returns how many were new."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status__in=(Booking.Status.CONFIRMED, Booking.Status.COMPLETED),
        ends_at__lte=now - NOTES_NUDGE_AFTER,
        ends_at__gte=now - dt.timedelta(days=30),
        session_note__isnull=True,
    ).select_related("therapist__user")
    queued = 0
    for booking in due:
        with transaction.atomic():
            if outbox.enqueue(
                kind=NOTES_NUDGE,
                to=booking.therapist.user.email,
                facts={"booking": booking.pk},
                key=f"notes-nudge:{booking.pk}",
            ):
                queued += 1
    return queued


# --- Feedback -------------------------------------------------------------------------------


class FeedbackRefused(Exception):
    pass


PRESSURE_STEPS: list[str] = [
    Intake.Pressure.LIGHT,
    Intake.Pressure.MEDIUM,
    Intake.Pressure.FIRM,
    Intake.Pressure.DEEP,
]


def suggested_pressure(*, current: str, feedback: str) -> str:
    """One step lighter after "too deep", one step firmer after "too light"; "" otherwise."""
    if current not in PRESSURE_STEPS:
        return ""
    i = PRESSURE_STEPS.index(current)
    if feedback == Feedback.Pressure.TOO_DEEP and i > 0:
        return PRESSURE_STEPS[i - 1]
    if feedback == Feedback.Pressure.TOO_LIGHT and i < len(PRESSURE_STEPS) - 1:
        return PRESSURE_STEPS[i + 1]
    return ""


def feedback_submit(
    *,
    booking: Booking,
    soreness: int,
    pressure: str,
    rating: int,
    area_soreness: Mapping[str, int] | None = None,
    comment: str = "",
    message: str = "",
    now: dt.datetime | None = None,
) -> Feedback:
    """Record how the client felt after a completed visit (or correct what they said).

    The therapist is e-mailed at once (after commit) the first time soreness is 7+ anywhere
    or the pressure was too deep. A pressure-preference change is offered when the pressure
    was too deep or too light. A changed public comment waits for staff review again.
    """
    now = now or timezone.now()
    if booking.status != Booking.Status.COMPLETED:
        raise FeedbackRefused(_("Feedback opens once the visit is completed."))
    areas = {slug: int(v) for slug, v in (area_soreness or {}).items() if v is not None and v != ""}
    errors: dict[str, list[str]] = {}
    if not 0 <= int(soreness) <= 10:
        errors["soreness"] = [str(_("Choose a number from 0 to 10."))]
    if any(slug not in REGION_BY_SLUG or not 0 <= v <= 10 for slug, v in areas.items()):
        errors["area_soreness"] = [str(_("Choose a number from 0 to 10 for each area."))]
    if pressure not in Feedback.Pressure.values:
        errors["pressure"] = [str(_("Say whether the pressure was too light, right or too deep."))]
    if not 1 <= int(rating) <= 5:
        errors["rating"] = [str(_("Choose a rating from 1 to 5."))]
    if errors:
        raise ValidationError(errors)
    intake = intake_current(client=booking.client)
    suggestion = suggested_pressure(current=intake.pressure if intake else "", feedback=pressure)
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().filter(booking=booking).first()
        if feedback is None:
            feedback = Feedback(booking=booking, client=booking.client, therapist=booking.therapist)
        comment = comment.strip()
        if comment != feedback.comment:
            feedback.comment_status = Feedback.Moderation.PENDING
        feedback.soreness = int(soreness)
        feedback.area_soreness = areas
        feedback.pressure = pressure
        feedback.rating = int(rating)
        feedback.comment = comment
        feedback.message = message.strip()
        if suggestion and suggestion != feedback.suggested_pressure:
            feedback.suggested_pressure = suggestion
            feedback.suggestion_status = Feedback.Suggestion.OFFERED
        elif not suggestion and feedback.suggestion_status == Feedback.Suggestion.OFFERED:
            feedback.suggested_pressure = ""
            feedback.suggestion_status = Feedback.Suggestion.NONE
        alert = feedback.needs_therapist_alert and feedback.therapist_alerted_at is None
        if alert:
            feedback.therapist_alerted_at = now
        feedback.save()
        if alert:
            _alert_therapist(feedback)
    return feedback


def _alert_therapist(feedback: Feedback) -> None:
    """In the feedback's transaction: the therapist's e-mail, sent after commit."""
    outbox.enqueue(
        kind=THERAPIST_ALERT,
        to=feedback.therapist.user.email,
        facts={"feedback": feedback.pk},
        key=f"feedback-alert:{feedback.pk}",
    )


def pressure_suggestion_answer(*, feedback: Feedback, accept: bool, actor: User) -> Intake | None:
    """The client accepts (a new intake version with the suggested pressure) or declines."""
    if actor.pk != feedback.client.user_id:
        raise FeedbackRefused(_("Only the client can change their pressure preference."))
    if feedback.suggestion_status != Feedback.Suggestion.OFFERED or not feedback.suggested_pressure:
        raise FeedbackRefused(_("There is no suggestion waiting for an answer."))
    if not accept:
        Feedback.objects.filter(pk=feedback.pk).update(
            suggestion_status=Feedback.Suggestion.DECLINED
        )
        feedback.suggestion_status = Feedback.Suggestion.DECLINED
        return None
    with transaction.atomic():
        current = intake_current(client=feedback.client)
        if current is None:
            raise FeedbackRefused(_("Fill in your health intake first."))
        intake = intake_create(
            client=feedback.client,
            pressure=feedback.suggested_pressure,
            consent_treatment=current.consent_treatment,
            consent_data=current.consent_data,
            reasons=current.reasons,
            goals=current.goals,
            discomfort_ceiling=current.discomfort_ceiling,
            last_massage_on=current.last_massage_on,
            never_had_massage=current.never_had_massage,
            screening=current.screening,
            screening_none=current.screening_none,
            front_of_body=current.front_of_body,
            side_lying=current.side_lying,
            medications=current.medications,
            other_notes=current.other_notes,
            pain_areas=[
                {"region": a.region, "intensity": a.intensity, "refers_to": a.refers_to}
                for a in current.pain_areas.all()
            ],
        )
        Feedback.objects.filter(pk=feedback.pk).update(
            suggestion_status=Feedback.Suggestion.ACCEPTED
        )
        feedback.suggestion_status = Feedback.Suggestion.ACCEPTED
    return intake


def feedback_follow_up_record(*, feedback: Feedback, actor: User, note: str = "") -> bool:
    """Someone got back to a client whose feedback alerted the therapist (very sore, or the
    pressure too deep). Returns False when it was already recorded: the first answer stands."""
    changed = Feedback.objects.filter(pk=feedback.pk, followed_up_at__isnull=True).update(
        followed_up_at=timezone.now(),
        followed_up_by=actor,
        follow_up_note=note.strip()[:500],
        updated_at=timezone.now(),
    )
    feedback.refresh_from_db()
    return bool(changed)


def feedback_comment_moderate(*, feedback: Feedback, approve: bool) -> None:
    status = Feedback.Moderation.APPROVED if approve else Feedback.Moderation.REJECTED
    Feedback.objects.filter(pk=feedback.pk).update(comment_status=status)
    feedback.comment_status = status
    availability_changed(therapist_id=feedback.therapist_id)  # the profile shows comments


# --- Series of visits -------------------------------------------------------------------------


@dataclass
class SeriesOccurrence:
    """One visit of a proposed series: the wanted time, whether it is free, and if not the
    nearest free times around it."""

    index: int
    wanted: dt.datetime
    free: bool
    alternatives: list[dt.datetime] = field(default_factory=list)


ALTERNATIVE_DAYS = 3  # look this many days either side of a clashing visit
ALTERNATIVE_COUNT = 3


def series_preview(
    *,
    client: ClientProfile,
    therapist: TherapistProfile,
    service: Service,
    first_starts_at: dt.datetime,
    interval_weeks: int,
    visit_count: int,
    now: dt.datetime | None = None,
) -> list[SeriesOccurrence]:
    """Every visit of the series with the same weekday and local time, checked against the
    therapist's free slots; for a clash, the free times nearest to it (same day first)."""
    now = now or timezone.now()
    tz = therapist.tz
    first_local = timezone.localtime(first_starts_at, tz)
    occurrences = []
    for i in range(visit_count):
        local_day = first_local.date() + dt.timedelta(weeks=interval_weeks * i)
        # Same wall-clock time each visit, across daylight-saving changes.
        wanted = dt.datetime.combine(local_day, first_local.time(), tzinfo=tz).astimezone(dt.UTC)
        window = available_slots(
            therapist=therapist,
            service=service,
            start_date=local_day - dt.timedelta(days=ALTERNATIVE_DAYS),
            days=2 * ALTERNATIVE_DAYS + 1,
            client=client,
            now=now,
        )
        free = wanted in window
        alternatives = []
        if not free:
            alternatives = sorted(window, key=lambda s: (abs(s - wanted), s))[:ALTERNATIVE_COUNT]
            alternatives.sort()
        occurrences.append(SeriesOccurrence(i, wanted, free, alternatives))
    return occurrences


SERIES_MAX_VISITS = 12
SERIES_MAX_INTERVAL_WEEKS = 8


class SeriesClash(Exception):
    """A chosen time was taken while the client was deciding; nothing was booked."""

    def __init__(self, starts_at: dt.datetime, message: str) -> None:
        super().__init__(message)
        self.starts_at = starts_at


def series_create(
    *,
    client: ClientProfile,
    therapist: TherapistProfile,
    service: Service,
    starts: list[dt.datetime],
    interval_weeks: int,
    actor: User | None = None,
    clearance_acknowledged: bool = False,
    now: dt.datetime | None = None,
) -> BookingSeries:
    """Book every chosen time through ``booking_create`` (so every booking rule applies to
    each visit: intake, clearance, new clients, area, the time itself), all or nothing: if one
    was taken in the meantime, none is booked and :class:`SeriesClash` says which; any other
    refusal (``booking.services.BookingRefused``) is raised as it is."""
    if not 2 <= len(starts) <= SERIES_MAX_VISITS:
        raise ValidationError(_("A series has from 2 to %(n)s visits.") % {"n": SERIES_MAX_VISITS})
    if not 1 <= interval_weeks <= SERIES_MAX_INTERVAL_WEEKS:
        raise ValidationError(
            _("Visits can be from 1 to %(n)s weeks apart.") % {"n": SERIES_MAX_INTERVAL_WEEKS}
        )
    if any(timezone.is_naive(s) for s in starts):
        raise ValidationError(_("A time in that series is not valid."))
    with transaction.atomic():
        series = BookingSeries.objects.create(
            client=client,
            therapist=therapist,
            service=service,
            interval_weeks=interval_weeks,
            visit_count=len(starts),
        )
        for starts_at in sorted(starts):
            try:
                booking = booking_create(
                    client=client,
                    therapist=therapist,
                    service=service,
                    starts_at=starts_at,
                    actor=actor,
                    clearance_acknowledged=clearance_acknowledged,
                    now=now,
                )
            except SlotUnavailable as exc:
                raise SeriesClash(starts_at, str(exc)) from exc
            SeriesVisit.objects.create(series=series, booking=booking)
    return series


def series_cancel(
    *, series: BookingSeries, actor: User, reason: str = "", now: dt.datetime | None = None
) -> tuple[list[Booking], list[tuple[Booking, str]]]:
    """Cancel every visit of the series still to come. Returns (cancelled, refused) where
    refused pairs a visit with the reason (e.g. inside the cancellation cut-off)."""
    now = now or timezone.now()
    cancelled: list[Booking] = []
    refused: list[tuple[Booking, str]] = []
    for visit in series.visits.select_related("booking").filter(
        booking__status__in=Booking.ACTIVE_STATUSES, booking__starts_at__gt=now
    ):
        try:
            cancelled.append(
                booking_cancel(booking=visit.booking, actor=actor, reason=reason, now=now)
            )
        except BookingRefused as exc:
            refused.append((visit.booking, str(exc)))
    if not refused:
        BookingSeries.objects.filter(pk=series.pk).update(cancelled_at=now)
        series.cancelled_at = now
    return cancelled, refused


def series_visit_cancel(
    *,
    series: BookingSeries,
    booking: Booking,
    actor: User,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    if not SeriesVisit.objects.filter(series=series, booking=booking).exists():
        raise ValidationError(_("That visit is not part of this series."))
    return booking_cancel(booking=booking, actor=actor, reason=reason, now=now)
