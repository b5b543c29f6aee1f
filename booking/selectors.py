"""Reads for booking: the bookable slots of a therapist, and the earliest across therapists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from booking.models import Booking
from booking.slots import SlotRequest, TravelPolicy, Visit, compute_slots
from clients.models import ClientProfile
from therapists.geo import distance_km, lookup_postcode
from therapists.models import Modality, Service, TherapistProfile
from therapists.selectors import working_intervals


def active_bookings() -> QuerySet[Booking]:
    return Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES)


def client_in_area(*, therapist: TherapistProfile, client: ClientProfile | None) -> bool:
    """A therapist reaches a client when the client's address is inside their radius. An
    address we cannot place is given the benefit of the doubt; the therapist sees it."""
    if client is None or client.point is None or therapist.home_point is None:
        return True
    return distance_km(therapist.home_point, client.point) <= therapist.radius_km


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

    Loads in a fixed number of queries whatever the number of bookings or days: hours,
    overrides and time off (inside working_intervals), the therapist's bookings, and the
    client's own bookings. ``exclude_booking`` is a booking being rescheduled: its own time
    does not block its new time.
    """
    now = now or timezone.now()
    days = max(0, min(days, 7 * settings.BOOKING_HORIZON_WEEKS + 1))
    if days == 0 or not service.is_active or service.therapist_id != therapist.pk:
        return []
    tz = therapist.tz
    working = working_intervals(therapist=therapist, start_date=start_date, days=days)
    if not working:
        return []
    # One day either side: a visit late the evening before still needs travel time.
    window_start = working[0][0] - timedelta(days=1)
    window_end = working[-1][1] + timedelta(days=1)

    therapist_bookings = active_bookings().filter(
        therapist=therapist, starts_at__lt=window_end, ends_at__gt=window_start
    )
    client_busy: list[tuple[datetime, datetime]] = []
    if exclude_booking is not None:
        therapist_bookings = therapist_bookings.exclude(pk=exclude_booking.pk)
    if client is not None:
        own = active_bookings().filter(
            client=client, starts_at__lt=window_end, ends_at__gt=window_start
        )
        if exclude_booking is not None:
            own = own.exclude(pk=exclude_booking.pk)
        client_busy = list(own.values_list("starts_at", "ends_at"))

    visits = [
        Visit(b.starts_at, b.ends_at, b.point)
        for b in therapist_bookings.only("starts_at", "ends_at", "latitude", "longitude")
    ]
    request = SlotRequest(
        tz=tz,
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
        visits=visits,
        client_point=client.point if client is not None else None,
        client_busy=client_busy,
        out_of_area=not client_in_area(therapist=therapist, client=client),
    )
    return compute_slots(request)


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
    *, modality: Modality | str | None = None, postcode: str | None = None
) -> list[TherapistProfile]:
    """Approved therapists who take new clients, offer ``modality`` and reach ``postcode``."""
    qs = TherapistProfile.objects.filter(
        approval=TherapistProfile.Approval.APPROVED, accepts_new_clients=True
    ).prefetch_related("modalities")
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
    offers: list[SlotOffer] = []
    services = Service.objects.filter(
        is_active=True,
        modality__slug=slug,
        therapist__in=bookable_therapists(modality=slug, postcode=postcode),
    ).select_related("therapist", "modality")
    if duration_minutes:
        services = services.filter(duration_minutes=duration_minutes)
    for service in services:
        therapist = service.therapist
        first_day = start_date or now.astimezone(therapist.tz).date()
        for starts_at in available_slots(
            therapist=therapist,
            service=service,
            start_date=first_day,
            days=days,
            now=now,
            client=client,
        )[:limit]:
            offers.append(SlotOffer(therapist, service, starts_at))
    offers.sort(key=lambda o: (o.starts_at, o.therapist.display_name))
    return offers[:limit]


def bookings_for_client(*, client: ClientProfile) -> QuerySet[Booking]:
    return Booking.objects.filter(client=client).select_related(
        "therapist", "service", "service__modality"
    )


def upcoming_for_therapist(
    *, therapist: TherapistProfile, now: datetime | None = None
) -> QuerySet[Booking]:
    now = now or timezone.now()
    return (
        Booking.objects.filter(therapist=therapist, ends_at__gte=now)
        .filter(Q(status__in=Booking.ACTIVE_STATUSES))
        .select_related("client__user", "service__modality")
    )
