"""Demo bookings for the demo client (client@homeknots.example): two past visits, completed,
with their aftercare plans, and one confirmed visit coming up.

Idempotent: a past visit is created only if the client has no completed visit with that
therapist yet, and the upcoming one only if the client has no visit booked ahead. Past visits
are written directly (``booking_create`` rightly refuses times in the past); the upcoming one
goes through ``booking_create`` like any real booking, so its e-mails and reminder exist too.
The aftercare demo gives the past visits their notes and reminders.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from booking.models import Booking, BookingEvent
from booking.selectors import available_slots
from booking.services import SlotUnavailable, booking_create
from clients.models import ClientProfile
from clients.selectors import intake_current
from therapists.models import Service, TherapistProfile

DEMO_CLIENT = "client@homeknots.example"
# (therapist e-mail, modality, minutes, days ago) for the past visits.
PAST_VISITS = [
    ("maya@homeknots.example", "myofascial", 60, 49),
    ("priya@homeknots.example", "myofascial", 60, 21),
]
UPCOMING = ("maya@homeknots.example", "myofascial", 60)
# The upcoming visit is at least this far ahead, so the demo client can still move or cancel it.
UPCOMING_AFTER = dt.timedelta(days=3)


def _service(email: str, modality: str, minutes: int) -> Service | None:
    """The demo therapist's service, or any approved therapist's (if the demo therapists were
    renamed): the demo should still show bookings."""
    services = Service.objects.filter(
        is_active=True, therapist__approval=TherapistProfile.Approval.APPROVED
    ).select_related("therapist__user", "modality")
    return (
        services.filter(
            therapist__user__email=email, modality__slug=modality, duration_minutes=minutes
        ).first()
        or services.filter(modality__slug=modality, duration_minutes=minutes).first()
        or services.first()
    )


def _weekday_at_ten(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=tz).astimezone(dt.UTC)


def _past_visit(client: ClientProfile, service: Service, days_ago: int) -> Booking | None:
    therapist = service.therapist
    if Booking.objects.filter(
        client=client, therapist=therapist, status=Booking.Status.COMPLETED
    ).exists():
        return None
    today = timezone.localdate(timezone=therapist.tz)
    starts_at = _weekday_at_ten(today - dt.timedelta(days=days_ago), therapist.tz)
    booking = Booking.objects.create(
        client=client,
        therapist=therapist,
        service=service,
        intake=intake_current(client=client),
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=service.duration_minutes),
        status=Booking.Status.COMPLETED,
        price=service.price,
        address=client.address_one_line,
        latitude=client.latitude,
        longitude=client.longitude,
        access_notes=client.access_notes,
        sequence=1,
    )
    created = BookingEvent.objects.create(
        booking=booking,
        actor=client.user,
        action="created",
        to_status=Booking.Status.CONFIRMED,
        to_starts_at=starts_at,
    )
    completed = BookingEvent.objects.create(
        booking=booking,
        actor=therapist.user,
        action="completed",
        from_status=Booking.Status.CONFIRMED,
        to_status=Booking.Status.COMPLETED,
        to_starts_at=starts_at,
    )
    # History as it would have happened: booked a week before, completed right after.
    BookingEvent.objects.filter(pk=created.pk).update(at=starts_at - dt.timedelta(days=7))
    BookingEvent.objects.filter(pk=completed.pk).update(at=booking.ends_at)
    Booking.objects.filter(pk=booking.pk).update(created_at=starts_at - dt.timedelta(days=7))
    return booking


def _upcoming_visit(client: ClientProfile) -> Booking | None:
    now = timezone.now()
    if Booking.objects.filter(
        client=client, status__in=Booking.ACTIVE_STATUSES, starts_at__gt=now
    ).exists():
        return None
    service = _service(*UPCOMING)
    if service is None:
        return None
    therapist = service.therapist
    first_day = timezone.localtime(now + UPCOMING_AFTER, therapist.tz).date()
    for starts_at in available_slots(
        therapist=therapist, service=service, start_date=first_day, days=14, client=client
    ):
        try:
            return booking_create(
                client=client, therapist=therapist, service=service, starts_at=starts_at
            )
        except SlotUnavailable:
            continue
    return None


def seed(*, password: str) -> list[tuple[str, str]]:
    client = ClientProfile.objects.select_related("user").filter(user__email=DEMO_CLIENT).first()
    if client is None:
        return []
    for email, modality, minutes, days_ago in PAST_VISITS:
        service = _service(email, modality, minutes)
        if service is None:
            continue
        _past_visit(client, service, days_ago)
    _upcoming_visit(client)
    return []
