"""Reads for aftercare: who may see session notes and feedback, the client's dashboard panel,
therapist ratings, and progress per body area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from booking.models import Booking
from booking.privacy import OWNER, health_access, health_view, written_by_filter
from clients.models import ClientProfile, IntakeAccessLog, PainArea
from therapists.models import TherapistProfile

from . import charts
from .messages import (
    SlotLink,
    book_again_url,
    client_tz,
    feedback_url,
    follow_up_plan,
    follow_up_slots,
    series_url,
)
from .models import BookingSeries, Feedback, Reminder, SessionNote

# How long after a visit the dashboard keeps asking for feedback.
FEEDBACK_OPEN_FOR = dt.timedelta(days=14)

WRITE = "write"
READ = "read"
NOTES = IntakeAccessLog.Record.NOTES
FEEDBACK = IntakeAccessLog.Record.FEEDBACK
PROGRESS = IntakeAccessLog.Record.PROGRESS


def note_writable(*, booking: Booking, now: dt.datetime | None = None) -> bool:
    """A visit takes notes once it has started (confirmed) or when it is completed."""
    now = now or timezone.now()
    if booking.status == Booking.Status.COMPLETED:
        return True
    return booking.status == Booking.Status.CONFIRMED and booking.starts_at <= now


def note_access(*, booking: Booking, user: Any, now: dt.datetime | None = None) -> str | None:
    """What ``user`` may do with the notes of ``booking``, by the one health-data rule
    (``booking.privacy``): WRITE (the visit's own therapist, inside the care window, once the
    visit has started), READ (the writer afterwards, inside the window; staff with the
    permission; another therapist of this client inside their own window, once notes exist),
    or None (everyone else, clients included: notes are the therapist's record)."""
    access = health_access(user=user, client=booking.client, now=now)
    if not access or access.role == OWNER:
        return None
    own_visit = booking.therapist.user_id == user.pk
    if own_visit and note_writable(booking=booking, now=now):
        return WRITE
    others = access.others_records and (
        access.others_until is None or booking.starts_at <= access.others_until
    )
    if not (own_visit or others):
        return None
    return READ if SessionNote.objects.filter(booking=booking).exists() else None


def _notes(client: ClientProfile) -> QuerySet[SessionNote]:
    return SessionNote.objects.filter(client=client).select_related("booking__service", "therapist")


def notes_for_viewer(
    *,
    client: ClientProfile,
    user: Any,
    context: str,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> list[SessionNote]:
    """The client's session notes ``user`` may read now, newest first (logged). ``until``:
    only visits that started by then (a page about one visit shows the record up to it)."""
    access = health_view(user=user, client=client, record=NOTES, context=context, now=now)
    if not access or access.role == OWNER:
        return []
    notes = _notes(client).filter(written_by_filter(access, user=user))
    if until is not None:
        notes = notes.filter(booking__starts_at__lte=until)
    return list(notes.order_by("-booking__starts_at"))


def feedback_for_viewer(
    *,
    client: ClientProfile,
    user: Any,
    context: str,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> list[Feedback]:
    """Feedback belongs in the client's file for the next visit: the same rule as notes
    (the client sees all of their own), logged."""
    access = health_view(user=user, client=client, record=FEEDBACK, context=context, now=now)
    if not access:
        return []
    qs = Feedback.objects.filter(client=client).select_related("booking__service", "therapist")
    qs = qs.filter(written_by_filter(access, user=user))
    if until is not None:
        qs = qs.filter(booking__starts_at__lte=until)
    return list(qs.order_by("-booking__starts_at"))


# --- The client's dashboard -----------------------------------------------------------------


def reminders_for_client(*, client: ClientProfile, limit: int = 12) -> list[Reminder]:
    """What the client has been told, newest first: every reminder sent by e-mail, and those
    held back from e-mail because the client turned e-mails off or the e-mail failed, so
    nothing depends on e-mail alone."""
    shown = Q(status__in=[Reminder.Status.SENT, Reminder.Status.FAILED]) | Q(
        status=Reminder.Status.SKIPPED, skip_reason=Reminder.SkipReason.REMINDERS_OFF
    )
    return list(
        Reminder.objects.filter(shown, client=client)
        .select_related("booking__therapist")
        .order_by("-due_at", "-pk")[:limit]
    )


def visits_awaiting_feedback(
    *, client: ClientProfile, now: dt.datetime | None = None
) -> list[Booking]:
    now = now or timezone.now()
    return list(
        Booking.objects.filter(
            client=client,
            status=Booking.Status.COMPLETED,
            ends_at__gte=now - FEEDBACK_OPEN_FOR,
            feedback__isnull=True,
        )
        .select_related("therapist", "service")
        .order_by("-starts_at")
    )


@dataclass(frozen=True)
class FollowUp:
    booking: Booking
    therapist: TherapistProfile
    service: Any
    recommended_on: dt.date
    interval_days: int
    advice: str
    treated_labels: list[str]
    book_url: str
    series_url: str
    slots: list[SlotLink]


def follow_up_for_client(
    *, client: ClientProfile, now: dt.datetime | None = None, with_slots: bool = True
) -> FollowUp | None:
    """The latest completed visit and what it recommends next, unless the client already has
    a visit coming up."""
    now = now or timezone.now()
    if Booking.objects.filter(
        client=client, status__in=Booking.ACTIVE_STATUSES, starts_at__gt=now
    ).exists():
        return None
    last = (
        Booking.objects.filter(client=client, status=Booking.Status.COMPLETED)
        .select_related("therapist", "service", "client")
        .order_by("-starts_at")
        .first()
    )
    if last is None:
        return None
    note = SessionNote.objects.filter(booking=last).first()
    interval = note.follow_up_days if note else 14
    # The first day the therapist works on or after the recommendation, not a day they are off.
    plan = follow_up_plan(last, now=now, follow_up_days=interval)
    slots: list[SlotLink] = []
    if with_slots and last.service.is_active:
        slots = follow_up_slots(last, plan)
    return FollowUp(
        booking=last,
        therapist=last.therapist,
        service=last.service,
        recommended_on=plan.on,
        interval_days=interval,
        advice=note.advice if note else "",
        treated_labels=note.treated_area_labels if note else [],
        book_url=book_again_url(therapist_id=last.therapist_id, service_id=last.service_id),
        series_url=series_url(therapist_id=last.therapist_id, service_id=last.service_id),
        slots=slots,
    )


def pressure_suggestions(*, client: ClientProfile) -> list[Feedback]:
    return list(
        Feedback.objects.filter(
            client=client, suggestion_status=Feedback.Suggestion.OFFERED
        ).select_related("booking__therapist")[:1]
    )


def series_for_client(*, client: ClientProfile) -> QuerySet[BookingSeries]:
    return (
        BookingSeries.objects.filter(client=client, cancelled_at__isnull=True)
        .select_related("therapist", "service")
        .prefetch_related("visits__booking")
    )


@dataclass(frozen=True)
class DashboardPanel:
    client: ClientProfile
    reminders: list[Reminder]
    awaiting_feedback: list[tuple[Booking, str]]
    follow_up: FollowUp | None
    suggestions: list[Feedback]
    series: list[BookingSeries]
    email_reminders: bool
    email_offers: bool
    charts: list[charts.AreaChart]


def dashboard_panel(*, client: ClientProfile, now: dt.datetime | None = None) -> DashboardPanel:
    now = now or timezone.now()
    return DashboardPanel(
        client=client,
        reminders=reminders_for_client(client=client),
        awaiting_feedback=[
            (b, feedback_url(b)) for b in visits_awaiting_feedback(client=client, now=now)
        ],
        follow_up=follow_up_for_client(client=client, now=now),
        suggestions=pressure_suggestions(client=client),
        series=list(series_for_client(client=client)),
        email_reminders=client.email_reminders,
        email_offers=client.email_offers,
        charts=progress_for_viewer(client=client, user=client.user, context="dashboard"),
    )


# --- Ratings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TherapistRating:
    average: Decimal | None  # one decimal place; None without ratings
    count: int


def with_rating(profiles: QuerySet[TherapistProfile]) -> QuerySet[TherapistProfile]:
    """``profiles`` with their rating in the same query (``rating_average``,
    ``rating_count``), which ``therapist_rating`` then reads without a query of its own."""
    return profiles.annotate(
        rating_average=Avg("feedback__rating"), rating_count=Count("feedback", distinct=True)
    )


def therapist_rating(*, therapist: TherapistProfile) -> TherapistRating:
    """Average and number of the clients' 1–5 ratings, for the therapist's profile."""
    if hasattr(therapist, "rating_count"):  # annotated by with_rating
        avg, count = getattr(therapist, "rating_average", None), therapist.rating_count
    else:
        agg = Feedback.objects.filter(therapist=therapist).aggregate(
            avg=Avg("rating"), n=Count("pk")
        )
        avg, count = agg["avg"], agg["n"]
    if not count:
        return TherapistRating(None, 0)
    average = Decimal(str(avg)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return TherapistRating(average, count)


def therapist_reviews(*, therapist: TherapistProfile, limit: int = 5) -> list[Feedback]:
    """Comments staff approved, newest first. Unreviewed or rejected comments never show."""
    return list(
        Feedback.objects.filter(therapist=therapist, comment_status=Feedback.Moderation.APPROVED)
        .exclude(comment="")
        .select_related("client__user")
        .order_by("-created_at")[:limit]
    )


# --- Progress -------------------------------------------------------------------------------


def progress_for_viewer(
    *,
    client: ClientProfile,
    user: Any,
    context: str,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> list[charts.AreaChart]:
    """Per body area: pain at each intake, soreness in feedback, and visits that treated it,
    as chart geometry (``aftercare.charts``), for a viewer the health-data rule allows
    (logged). ``until``: only what was recorded by then (a past visit's page shows the record
    up to that visit, not what the client wrote after it)."""
    access = health_view(user=user, client=client, record=PROGRESS, context=context, now=now)
    if not access:
        return []
    areas = PainArea.objects.filter(intake__client=client).select_related("intake")
    feedback = Feedback.objects.filter(client=client).filter(written_by_filter(access, user=user))
    notes = SessionNote.objects.filter(
        client=client, booking__status=Booking.Status.COMPLETED
    ).filter(written_by_filter(access, user=user))
    if until is not None:
        areas = areas.filter(intake__created_at__lte=until)
        feedback = feedback.filter(booking__starts_at__lte=until)
        notes = notes.filter(booking__starts_at__lte=until)
    observations = [
        charts.Observation(area.region, area.intake.created_at, area.intensity, charts.INTAKE)
        for area in areas
    ]
    for item in feedback:
        for slug, value in (item.area_soreness or {}).items():
            observations.append(
                charts.Observation(slug, item.created_at, int(value), charts.FEEDBACK)
            )
    visits = [
        (slug, note.booking.starts_at)
        for note in notes.select_related("booking")
        for slug in note.treated_areas
    ]
    return charts.build_charts(observations, visits, tz=client_tz(client))


# --- The therapist's visit page ------------------------------------------------------------------


@dataclass(frozen=True)
class VisitAftercare:
    """The aftercare part of a visit page, already filtered by the health-data rule."""

    access: str | None
    note: SessionNote | None
    reminders: list[Reminder]
    feedback: list[Feedback]
    history: list[SessionNote]
    charts: list[charts.AreaChart]


def visit_aftercare(
    *, booking: Booking, user: Any, now: dt.datetime | None = None
) -> VisitAftercare:
    """Notes, reminders, feedback and progress for ``booking``'s page, as ``user`` may see
    them now. Each kind of record seen is logged once."""
    access = note_access(booking=booking, user=user, now=now)
    if access is None and not health_access(user=user, client=booking.client, now=now):
        return VisitAftercare(None, None, [], [], [], [])
    now = now or timezone.now()
    # A visit still to come shows the record as it is now; a past one, up to that visit.
    until = None if booking.ends_at >= now else booking.ends_at
    notes = notes_for_viewer(
        client=booking.client, user=user, context=f"visit:{booking.pk}", until=until, now=now
    )
    return VisitAftercare(
        access=access,
        note=next((n for n in notes if n.booking_id == booking.pk), None),
        reminders=list(booking.reminders.order_by("due_at")) if access else [],
        feedback=feedback_for_viewer(
            client=booking.client, user=user, context=f"visit:{booking.pk}", until=until, now=now
        )[:5],
        history=[n for n in notes if n.booking_id != booking.pk][:5],
        charts=progress_for_viewer(
            client=booking.client, user=user, context=f"visit:{booking.pk}", until=until, now=now
        ),
    )


# --- The session notes page ----------------------------------------------------------------------


@dataclass(frozen=True)
class NotePage:
    access: str
    note: SessionNote | None
    history: list[SessionNote]
    feedback: list[Feedback]
    this_feedback: Feedback | None
    charts: list[charts.AreaChart]
    # A head start for new notes: the areas the client marked on this visit's intake.
    intake_areas: list[str]


def note_page(*, booking: Booking, user: Any, now: dt.datetime | None = None) -> NotePage | None:
    """Everything the notes page of ``booking`` shows ``user``, or None if they may not see
    it. Filtered by the health-data rule; every kind of record seen is logged."""
    access = note_access(booking=booking, user=user, now=now)
    if access is None:
        return None
    now = now or timezone.now()
    until = None if booking.ends_at >= now else booking.ends_at
    context = f"notes:{booking.pk}"
    notes = notes_for_viewer(
        client=booking.client, user=user, context=context, until=until, now=now
    )
    feedback = feedback_for_viewer(
        client=booking.client, user=user, context=context, until=until, now=now
    )
    areas: list[str] = []
    note = SessionNote.objects.filter(booking=booking).first()
    if access == WRITE and note is None and booking.intake is not None:
        health_view(
            user=user,
            client=booking.client,
            record=IntakeAccessLog.Record.INTAKE,
            context=context,
            intake=booking.intake,
            now=now,
        )
        areas = [a.region for a in booking.intake.pain_areas.all()]
    return NotePage(
        access=access,
        note=note,
        history=[n for n in notes if n.booking_id != booking.pk][:10],
        feedback=feedback[:10],
        this_feedback=next((f for f in feedback if f.booking_id == booking.pk), None),
        charts=progress_for_viewer(
            client=booking.client, user=user, context=context, until=until, now=now
        ),
        intake_areas=areas,
    )


# --- Visits waiting for notes ---------------------------------------------------------------------

NOTES_LOOK_BACK = dt.timedelta(days=30)


def waiting_for_notes(*, now: dt.datetime | None = None) -> Q:
    """Bookings of the last month that have ended and have no notes yet (the therapist's list
    and the admin's overview count the same visits)."""
    now = now or timezone.now()
    return Q(
        status__in=(Booking.Status.CONFIRMED, Booking.Status.COMPLETED),
        ends_at__lte=now,
        ends_at__gte=now - NOTES_LOOK_BACK,
        session_note__isnull=True,
    )


def visits_waiting_for_notes(
    *, therapist: TherapistProfile, now: dt.datetime | None = None
) -> list[Booking]:
    """The therapist's visits of the last month that have ended and have no notes yet: still
    "confirmed" (nobody marked them) or completed without notes. The client's safety aftercare
    goes out anyway; these are the paperwork."""
    return list(
        Booking.objects.filter(waiting_for_notes(now=now), therapist=therapist)
        .select_related("client__user", "service__modality")
        .order_by("-starts_at")
    )
