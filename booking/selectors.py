"""Reads for booking: the bookable slots of a therapist, the earliest across therapists, and
the therapist's calendar (visits, time off, working hours, today, the feed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.models import Booking
from booking.policy import BookingRefused, check_can_book, client_in_area
from booking.slots import SlotRequest, TravelPolicy, Visit, compute_slots
from clients.care_flags import CLEARANCE, CareFlag, VisitHistory, care_flags
from clients.models import ClientProfile, Intake
from clients.selectors import intake_current
from core.geo import distance_km, lookup_postcode
from core.zones import zone_for
from therapists.models import (
    DateOverride,
    Modality,
    Service,
    TherapistProfile,
    TimeOff,
    WeeklyHours,
)
from therapists.selectors import local_day_bounds, working_intervals


def active_bookings() -> QuerySet[Booking]:
    return Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES)


@dataclass
class _Calendars:
    """Everything the engine needs for a set of therapists, loaded in a fixed number of
    queries: weekly hours, date overrides, time off, their bookings, the client's bookings."""

    weekly: dict[int, list[WeeklyHours]] = field(default_factory=dict)
    overrides: dict[int, list[DateOverride]] = field(default_factory=dict)
    time_off: dict[int, list[TimeOff]] = field(default_factory=dict)
    visits: dict[int, list[Visit]] = field(default_factory=dict)
    client_busy: list[tuple[datetime, datetime, int]] = field(default_factory=list)


def _load_calendars(
    *,
    therapist_ids: list[int],
    start_date: date,
    days: int,
    client: ClientProfile | None,
    exclude_booking: Booking | None,
) -> _Calendars:
    # A generous UTC window: two days either side covers every time zone and the travel
    # needed from a visit late the evening before.
    window_start = datetime.combine(start_date - timedelta(days=2), time(), tzinfo=UTC)
    window_end = datetime.combine(start_date + timedelta(days=days + 2), time(), tzinfo=UTC)
    cal = _Calendars()
    for hours in WeeklyHours.objects.filter(therapist_id__in=therapist_ids):
        cal.weekly.setdefault(hours.therapist_id, []).append(hours)
    for override in DateOverride.objects.filter(
        therapist_id__in=therapist_ids,
        date__gte=start_date - timedelta(days=1),
        date__lte=start_date + timedelta(days=days + 1),
    ):
        cal.overrides.setdefault(override.therapist_id, []).append(override)
    for block in TimeOff.objects.filter(
        therapist_id__in=therapist_ids, starts_at__lt=window_end, ends_at__gt=window_start
    ):
        cal.time_off.setdefault(block.therapist_id, []).append(block)
    bookings = active_bookings().filter(
        therapist_id__in=therapist_ids, starts_at__lt=window_end, ends_at__gt=window_start
    )
    if exclude_booking is not None:
        bookings = bookings.exclude(pk=exclude_booking.pk)
    for b in bookings.only("therapist_id", "starts_at", "ends_at", "latitude", "longitude"):
        cal.visits.setdefault(b.therapist_id, []).append(Visit(b.starts_at, b.ends_at, b.point))
    if client is not None:
        own = active_bookings().filter(
            client=client, starts_at__lt=window_end, ends_at__gt=window_start
        )
        if exclude_booking is not None:
            own = own.exclude(pk=exclude_booking.pk)
        cal.client_busy = list(own.values_list("starts_at", "ends_at", "therapist_id"))
    return cal


def _compute(
    *,
    therapist: TherapistProfile,
    service: Service,
    start_date: date,
    days: int,
    client: ClientProfile | None,
    now: datetime,
    cal: _Calendars,
) -> list[datetime]:
    if not service.is_active or service.therapist_id != therapist.pk:
        return []
    working = working_intervals(
        therapist=therapist,
        start_date=start_date,
        days=days,
        weekly_hours=cal.weekly.get(therapist.pk, []),
        overrides=cal.overrides.get(therapist.pk, []),
        time_off=cal.time_off.get(therapist.pk, []),
    )
    if not working:
        return []
    request = SlotRequest(
        tz=therapist.tz,
        working=working,
        duration=timedelta(minutes=service.duration_minutes),
        step=timedelta(minutes=settings.BOOKING_SLOT_STEP_MINUTES),
        earliest=now + timedelta(hours=therapist.min_notice_hours),
        latest=now + timedelta(weeks=settings.BOOKING_HORIZON_WEEKS),
        travel=TravelPolicy(
            speed_kmh=float(therapist.travel_speed_kmh),
            min_buffer=timedelta(minutes=therapist.min_travel_buffer_minutes),
            home=therapist.home_point,
            from_home_base=therapist.travel_from_home_base,
        ),
        max_per_day=therapist.max_visits_per_day,
        visits=cal.visits.get(therapist.pk, []),
        client_point=client.point if client is not None else None,
        client_busy=[(s, e) for s, e, _ in cal.client_busy],
        out_of_area=not client_in_area(therapist=therapist, client=client),
    )
    return compute_slots(request)


def _clamp_days(days: int) -> int:
    return max(0, min(days, 7 * settings.BOOKING_HORIZON_WEEKS + 1))


def available_slots(
    *,
    therapist: TherapistProfile,
    service: Service,
    start_date: date,
    days: int,
    client: ClientProfile | None = None,
    now: datetime | None = None,
    exclude_booking: Booking | None = None,
) -> list[datetime]:
    """The start times (aware, UTC, sorted, unique) a client can book for ``service`` with
    ``therapist`` on ``days`` days from ``start_date`` (dates in the therapist's zone).

    Five queries at most, whatever the number of bookings or days: hours, overrides, time
    off, the therapist's bookings, the client's own bookings. ``exclude_booking`` is a
    booking being rescheduled: its own time does not block its new time.
    """
    days = _clamp_days(days)
    if days == 0 or not service.is_active or service.therapist_id != therapist.pk:
        return []
    cal = _load_calendars(
        therapist_ids=[therapist.pk],
        start_date=start_date,
        days=days,
        client=client,
        exclude_booking=exclude_booking,
    )
    return _compute(
        therapist=therapist,
        service=service,
        start_date=start_date,
        days=days,
        client=client,
        now=now or timezone.now(),
        cal=cal,
    )


def slots_for_services(
    *,
    services: list[Service],
    start_date: date,
    days: int,
    client: ClientProfile | None = None,
    now: datetime | None = None,
) -> dict[int, list[datetime]]:
    """``available_slots`` for many services (of many therapists) at once, in the same fixed
    number of queries as for one: the directory and "first available" use it. ``services``
    must have their therapist loaded (``select_related("therapist")``)."""
    now = now or timezone.now()
    days = _clamp_days(days)
    if not services or days == 0:
        return {}
    cal = _load_calendars(
        therapist_ids=sorted({s.therapist_id for s in services}),
        start_date=start_date - timedelta(days=1),
        days=days + 2,
        client=client,
        exclude_booking=None,
    )
    result: dict[int, list[datetime]] = {}
    for service in services:
        therapist = service.therapist
        # "Today" is the therapist's today, so start from their local date.
        first_day = max(start_date, now.astimezone(therapist.tz).date())
        result[service.pk] = _compute(
            therapist=therapist,
            service=service,
            start_date=first_day,
            days=days,
            client=client,
            now=now,
            cal=cal,
        )
    return result


def next_free_slots(
    *,
    therapist: TherapistProfile,
    service: Service | None = None,
    count: int = 3,
    days: int = 14,
    now: datetime | None = None,
    client: ClientProfile | None = None,
) -> list[datetime]:
    """The first ``count`` free start times in the next ``days`` days, for ``service`` or the
    therapist's shortest active service."""
    now = now or timezone.now()
    if service is None:
        service = therapist.services.filter(is_active=True).order_by("duration_minutes").first()
        if service is None:
            return []
    start_date = now.astimezone(therapist.tz).date()
    slots = available_slots(
        therapist=therapist,
        service=service,
        start_date=start_date,
        days=days,
        now=now,
        client=client,
    )
    return slots[:count]


@dataclass(frozen=True)
class SlotOffer:
    therapist: TherapistProfile
    service: Service
    starts_at: datetime


def bookable_therapists(
    *,
    modality: Modality | str | None = None,
    postcode: str | None = None,
    client: ClientProfile | None = None,
) -> list[TherapistProfile]:
    """Approved therapists who offer ``modality``, reach ``postcode`` and take this client:
    new clients, or ``client`` has seen them before (``booking.policy``'s rule)."""
    taking = Q(accepts_new_clients=True)
    if client is not None:
        taking |= Q(
            Exists(
                Booking.objects.filter(therapist=OuterRef("pk"), client=client).exclude(
                    status__in=(Booking.Status.CANCELLED, Booking.Status.DECLINED)
                )
            )
        )
    qs = (
        TherapistProfile.objects.filter(approval=TherapistProfile.Approval.APPROVED)
        .filter(taking)
        .prefetch_related("modalities")
    )
    if modality is not None:
        slug = modality if isinstance(modality, str) else modality.slug
        qs = qs.filter(services__modality__slug=slug, services__is_active=True).distinct()
    therapists = list(qs)
    point = lookup_postcode(postcode) if postcode else None
    if point is not None:
        therapists = [
            t
            for t in therapists
            if t.home_point is None or distance_km(t.home_point, point) <= t.radius_km
        ]
    return therapists


def earliest_slots(
    *,
    modality: Modality | str,
    duration_minutes: int | None = None,
    postcode: str | None = None,
    start_date: date | None = None,
    days: int = 14,
    limit: int = 10,
    now: datetime | None = None,
    client: ClientProfile | None = None,
) -> list[SlotOffer]:
    """ "Book the first available": the earliest slots across every therapist who offers the
    modality (at that duration) and reaches the postcode, soonest first."""
    now = now or timezone.now()
    slug = modality if isinstance(modality, str) else modality.slug
    matching = Service.objects.filter(
        is_active=True,
        modality__slug=slug,
        therapist__in=bookable_therapists(modality=slug, postcode=postcode, client=client),
    ).select_related("therapist", "modality")
    if duration_minutes:
        matching = matching.filter(duration_minutes=duration_minutes)
    services = list(matching)
    by_service = slots_for_services(
        services=services,
        start_date=start_date or now.date(),
        days=days,
        client=client,
        now=now,
    )
    offers = [
        SlotOffer(service.therapist, service, starts_at)
        for service in services
        for starts_at in by_service.get(service.pk, [])[:limit]
    ]
    offers.sort(key=lambda o: (o.starts_at, o.therapist.display_name))
    return offers[:limit]


def bookings_for_client(*, client: ClientProfile) -> QuerySet[Booking]:
    return Booking.objects.filter(client=client).select_related(
        "therapist", "service", "service__modality"
    )


# --- The therapist's calendar ------------------------------------------------------------------

CALENDAR_STATUSES = (*Booking.ACTIVE_STATUSES, Booking.Status.COMPLETED)


def therapist_bookings(
    *, therapist: TherapistProfile, start: dt.datetime, end: dt.datetime, statuses: Sequence[str]
) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(
            therapist=therapist, status__in=statuses, starts_at__lt=end, ends_at__gt=start
        )
        .select_related("client__user", "service__modality")
        .order_by("starts_at")
    )


def calendar_events(
    *, therapist: TherapistProfile, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Events for the therapist's calendar between two aware instants: bookings, time off
    and (as background) working hours. Times are wall times in the therapist's zone without
    an offset: the calendar runs in that named zone, and FullCalendar without a time zone
    plugin takes such times as they are."""
    tz = therapist.tz

    def local(value: dt.datetime) -> str:
        return value.astimezone(tz).replace(tzinfo=None).isoformat(timespec="minutes")

    events: list[dict[str, Any]] = []
    for booking in therapist_bookings(
        therapist=therapist, start=start, end=end, statuses=CALENDAR_STATUSES
    ):
        status = booking.status
        events.append(
            {
                "id": f"booking-{booking.pk}",
                "title": f"{booking.client.user.first_name or _('Client')} · {booking.service}",
                "start": local(booking.starts_at),
                "end": local(booking.ends_at),
                "url": reverse("therapists:visit", kwargs={"pk": booking.pk}),
                "classNames": ["hk-booking", f"hk-booking-{status}"],
                "extendedProps": {
                    "kind": "booking",
                    "status": str(Booking.Status(status).label),
                },
            }
        )
    for block in TimeOff.objects.filter(therapist=therapist, starts_at__lt=end, ends_at__gt=start):
        local_start, local_end = block.starts_at.astimezone(tz), block.ends_at.astimezone(tz)
        # Whole days off (local midnight to midnight) show in the all-day row.
        all_day = local_start.time() == local_end.time() == dt.time(0)
        events.append(
            {
                "id": f"timeoff-{block.pk}",
                "title": str(block.reason or _("Time off")),
                "start": local_start.date().isoformat() if all_day else local(block.starts_at),
                "end": local_end.date().isoformat() if all_day else local(block.ends_at),
                "allDay": all_day,
                "classNames": ["hk-timeoff"],
                "extendedProps": {
                    "kind": "timeoff",
                    "deleteUrl": reverse("therapists:time_off_delete", kwargs={"pk": block.pk}),
                },
            }
        )
    first_day = start.astimezone(tz).date()
    days = (end.astimezone(tz).date() - first_day).days + 1
    for open_start, open_end in working_intervals(
        therapist=therapist, start_date=first_day, days=min(days, 62)
    ):
        events.append(
            {
                "start": local(open_start),
                "end": local(open_end),
                "display": "background",
                "classNames": ["hk-working"],
            }
        )
    return events


@dataclass
class TodayPanel:
    today: list[Any]
    upcoming: list[Any]
    pending_count: int


def therapist_today(*, therapist: TherapistProfile, now: dt.datetime | None = None) -> TodayPanel:
    """Today's visits (in the therapist's zone) and the next week's, for the dashboard."""
    now = now or timezone.now()
    tz = therapist.tz
    today = now.astimezone(tz).date()
    day_start, day_end = local_day_bounds(today, tz)
    week_end = local_day_bounds(today + dt.timedelta(days=7), tz)[1]
    statuses = (*Booking.ACTIVE_STATUSES, Booking.Status.COMPLETED)
    visits = list(
        therapist_bookings(therapist=therapist, start=day_start, end=week_end, statuses=statuses)
    )
    todays = [b for b in visits if b.starts_at < day_end]
    upcoming = [b for b in visits if b.starts_at >= day_end and b.is_active]
    pending = sum(1 for b in visits if b.status == Booking.Status.PENDING)
    return TodayPanel(today=todays, upcoming=upcoming[:10], pending_count=pending)


def visit_for_viewer(*, pk: int, user: Any) -> Booking | None:
    """The booking ``pk`` if ``user`` is its therapist or staff; otherwise None."""
    booking = (
        Booking.objects.select_related(
            "client__user", "service__modality", "therapist__user", "intake"
        )
        .filter(pk=pk)
        .first()
    )
    if booking is None or not user.is_authenticated:
        return None
    if user.is_staff or booking.therapist.user_id == user.pk:
        return booking
    return None


def feed_bookings(*, therapist: TherapistProfile, now: dt.datetime | None = None) -> list[Booking]:
    """What the calendar feed shows: visits from 30 days ago on, not cancelled or declined."""
    now = now or timezone.now()
    return list(
        therapist_bookings(
            therapist=therapist,
            start=now - dt.timedelta(days=30),
            end=now + dt.timedelta(days=366),
            statuses=(*Booking.ACTIVE_STATUSES, Booking.Status.COMPLETED),
        )
    )


# --- The booking flow ----------------------------------------------------------------------------


def _to_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def bookable_service(therapist_id: Any, service_id: Any) -> Service | None:
    """The service if it exists, is offered, and its therapist is approved (and, when given,
    is the therapist in the query)."""
    sid = _to_int(service_id)
    if sid is None:
        return None
    service = (
        Service.objects.select_related("therapist__user", "modality")
        .filter(pk=sid, is_active=True, therapist__approval=TherapistProfile.Approval.APPROVED)
        .first()
    )
    if service is None:
        return None
    if therapist_id not in (None, "") and _to_int(therapist_id) != service.therapist_id:
        return None
    return service


@dataclass(frozen=True)
class BookingReview:
    """What the review page needs to know before the client confirms."""

    intake: Intake | None
    flags: list[CareFlag]
    # The flags that need a doctor's clearance: the client must acknowledge them to book.
    clearance: list[CareFlag]
    # What would stop this booking now, apart from the time itself and the acknowledgement
    # (``booking.policy``'s refusal, with the sentence to show), or None.
    refusal: BookingRefused | None
    # Whether ``starts_at`` is bookable now (None when no time was given).
    slot_free: bool | None


def booking_review(
    *,
    client: ClientProfile,
    therapist: TherapistProfile,
    service: Service,
    starts_at: datetime | None = None,
    now: datetime | None = None,
) -> BookingReview:
    now = now or timezone.now()
    refusal: BookingRefused | None = None
    try:
        intake: Intake | None = check_can_book(
            client=client,
            therapist=therapist,
            service=service,
            clearance_acknowledged=True,
            now=now,
        )
    except BookingRefused as exc:
        refusal = exc
        intake = intake_current(client=client)
    history = visit_history(client=client, before=starts_at or now)
    flags = care_flags(intake=intake, history=history) if intake is not None else []
    slot_free = None
    if starts_at is not None and refusal is None:
        slot_free = starts_at in available_slots(
            therapist=therapist,
            service=service,
            start_date=timezone.localtime(starts_at, therapist.tz).date(),
            days=1,
            client=client,
            now=now,
        )
    return BookingReview(
        intake=intake,
        flags=flags,
        clearance=[f for f in flags if f.level == CLEARANCE],
        refusal=refusal,
        slot_free=slot_free,
    )


# --- The client's history with us (care flags) ----------------------------------------------------


def visit_history(
    *, client: ClientProfile, before: datetime, exclude: Booking | None = None
) -> VisitHistory:
    """The client's completed visits with us that started before ``before``: how many, the day
    of the last one (in its therapist's zone), and how many in the last
    ``CARE_LONG_GAP_WEEKS``. Care flags read it so a regular is not told they are new."""
    visits = Booking.objects.filter(
        client=client, status=Booking.Status.COMPLETED, starts_at__lt=before
    )
    if exclude is not None:
        visits = visits.exclude(pk=exclude.pk)
    rows = list(visits.order_by("-starts_at").values_list("starts_at", "therapist__time_zone"))
    if not rows:
        return VisitHistory()
    since = before - timedelta(weeks=settings.CARE_LONG_GAP_WEEKS)
    last_start, last_zone = rows[0]
    return VisitHistory(
        completed=len(rows),
        last_completed_on=last_start.astimezone(zone_for(last_zone)).date(),
        recent=sum(1 for starts_at, _zone in rows if starts_at >= since),
    )
