"""Reads for aftercare: who may see session notes and feedback, the client's dashboard panel,
therapist ratings, and progress per body area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from booking.models import Booking
from clients.models import ClientProfile, PainArea
from therapists.models import TherapistProfile

from . import charts
from .messages import (
    SlotLink,
    book_again_url,
    client_tz,
    feedback_url,
    follow_up_slots,
    series_url,
)
from .models import BookingSeries, Feedback, Reminder, SessionNote

# How long after a visit the dashboard keeps asking for feedback.
FEEDBACK_OPEN_FOR = dt.timedelta(days=14)
# Bookings that never happened do not make a therapist one of the client's therapists.
_NOT_A_VISIT = (Booking.Status.CANCELLED, Booking.Status.DECLINED)

WRITE = "write"
READ = "read"


def _therapist_of(user: Any) -> TherapistProfile | None:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_therapist", False):
        return None
    try:
        return user.therapist_profile
    except TherapistProfile.DoesNotExist:
        return None


def note_writable(*, booking: Booking, now: dt.datetime | None = None) -> bool:
    """A visit takes notes once it has started (confirmed) or when it is completed."""
    now = now or timezone.now()
    if booking.status == Booking.Status.COMPLETED:
        return True
    return booking.status == Booking.Status.CONFIRMED and booking.starts_at <= now


def _later_therapist_bookings(*, user: Any, client_id: int) -> QuerySet[Booking]:
    return Booking.objects.filter(client_id=client_id, therapist__user_id=user.pk).exclude(
        status__in=_NOT_A_VISIT
    )


def note_access(*, booking: Booking, user: Any, now: dt.datetime | None = None) -> str | None:
    """What ``user`` may do with the notes of ``booking``: WRITE (the visit's own therapist,
    once the visit has started), READ (staff; the writer afterwards; a therapist with a visit
    of the same client at or after this one), or None (everyone else, clients included)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    therapist = _therapist_of(user)
    if therapist is not None and booking.therapist_id == therapist.pk:
        if note_writable(booking=booking, now=now):
            return WRITE
        return READ if SessionNote.objects.filter(booking=booking).exists() else None
    if user.is_staff:
        return READ
    if therapist is not None and SessionNote.objects.filter(booking=booking).exists():
        later = _later_therapist_bookings(user=user, client_id=booking.client_id).filter(
            starts_at__gte=booking.starts_at
        )
        if later.exists():
            return READ
    return None


def notes_visible_to(*, client: ClientProfile, user: Any) -> QuerySet[SessionNote]:
    """The client's session notes ``user`` may read: all for staff; for a therapist, their
    own and those of visits before one of theirs with this client; none for anyone else."""
    notes = SessionNote.objects.filter(client=client).select_related(
        "booking__service", "therapist"
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return notes.none()
    if user.is_staff:
        return notes
    therapist = _therapist_of(user)
    if therapist is None:
        return notes.none()
    later = _later_therapist_bookings(user=user, client_id=client.pk).filter(
        starts_at__gte=OuterRef("booking__starts_at")
    )
    return notes.filter(Q(therapist=therapist) | Q(Exists(later)))


def feedback_visible_to(*, client: ClientProfile, user: Any) -> QuerySet[Feedback]:
    """Feedback belongs in the client's file for the next visit: same rule as notes."""
    qs = Feedback.objects.filter(client=client).select_related("booking__service", "therapist")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_staff or user.pk == client.user_id:
        return qs
    therapist = _therapist_of(user)
    if therapist is None:
        return qs.none()
    later = _later_therapist_bookings(user=user, client_id=client.pk).filter(
        starts_at__gte=OuterRef("booking__starts_at")
    )
    return qs.filter(Q(therapist=therapist) | Q(Exists(later)))


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
    tz = client_tz(client)
    recommended = timezone.localtime(last.ends_at, tz).date() + dt.timedelta(days=interval)
    slots: list[SlotLink] = []
    if with_slots and last.service.is_active:
        slots = follow_up_slots(last, now=now)
    return FollowUp(
        booking=last,
        therapist=last.therapist,
        service=last.service,
        recommended_on=recommended,
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
    )


# --- Ratings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TherapistRating:
    average: Decimal | None  # one decimal place; None without ratings
    count: int


def therapist_rating(*, therapist: TherapistProfile) -> TherapistRating:
    """Average and number of the clients' 1–5 ratings, for the therapist's profile."""
    agg = Feedback.objects.filter(therapist=therapist).aggregate(avg=Avg("rating"), n=Count("pk"))
    if not agg["n"]:
        return TherapistRating(None, 0)
    average = Decimal(str(agg["avg"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return TherapistRating(average, agg["n"])


def therapist_reviews(*, therapist: TherapistProfile, limit: int = 5) -> list[Feedback]:
    """Comments staff approved, newest first. Unreviewed or rejected comments never show."""
    return list(
        Feedback.objects.filter(therapist=therapist, comment_status=Feedback.Moderation.APPROVED)
        .exclude(comment="")
        .select_related("client__user")
        .order_by("-created_at")[:limit]
    )


# --- Progress -------------------------------------------------------------------------------


def progress_for_client(*, client: ClientProfile) -> list[charts.AreaChart]:
    """Per body area: pain intensity at each intake, soreness in feedback, and visits that
    treated it, as chart geometry (see ``aftercare.charts``)."""
    observations = [
        charts.Observation(area.region, area.intake.created_at, area.intensity, charts.INTAKE)
        for area in PainArea.objects.filter(intake__client=client).select_related("intake")
    ]
    for feedback in Feedback.objects.filter(client=client):
        for slug, value in (feedback.area_soreness or {}).items():
            observations.append(
                charts.Observation(slug, feedback.created_at, int(value), charts.FEEDBACK)
            )
    visits = [
        (slug, note.booking.starts_at)
        for note in SessionNote.objects.filter(
            client=client, booking__status=Booking.Status.COMPLETED
        ).select_related("booking")
        for slug in note.treated_areas
    ]
    return charts.build_charts(observations, visits, tz=client_tz(client))
