from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, connections, transaction

from booking.models import Booking, BookingEvent
from booking.services import (
    BookingChangeRefused,
    ServiceNotOffered,
    SlotUnavailable,
    TherapistUnavailable,
    booking_cancel,
    booking_confirm,
    booking_create,
    booking_decline,
    booking_reschedule,
)
from tests import factories
from therapists.models import WeeklyHours

NY = ZoneInfo("America/New_York")
UTC = dt.UTC
MONDAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY).astimezone(UTC)


@pytest.fixture
def service(db):
    service = factories.ServiceFactory()
    WeeklyHours.objects.create(
        therapist=service.therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    return service


def book(service, client=None, starts_at=None, **kwargs):
    return booking_create(
        client=client or factories.BookableClientFactory(),
        therapist=service.therapist,
        service=service,
        starts_at=starts_at or at(10),
        now=NOW,
        **kwargs,
    )


def test_it_books_a_free_slot_and_snapshots_what_was_agreed(service):
    client = factories.BookableClientFactory()
    intake = factories.IntakeFactory(client=client)
    booking = book(service, client=client)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.ends_at - booking.starts_at == dt.timedelta(minutes=60)
    assert booking.price == service.price
    assert booking.address == client.address_one_line
    assert booking.access_notes == client.access_notes
    assert booking.intake == intake
    assert BookingEvent.objects.filter(booking=booking, action="created").count() == 1


def test_it_holds_the_slot_as_pending_when_the_therapist_approves_each_booking(service):
    service.therapist.auto_confirm = False
    service.therapist.save()
    booking = book(service)
    assert booking.status == Booking.Status.PENDING
    assert booking.expires_at == NOW + dt.timedelta(hours=24)
    with pytest.raises(SlotUnavailable):
        book(service)


def test_it_refuses_an_overlapping_booking(service):
    book(service, starts_at=at(10))
    with pytest.raises(SlotUnavailable):
        book(service, starts_at=at(10, 30))
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    "start", [at(8, 45), at(16, 15), at(10, 5), at(12, day=MONDAY + dt.timedelta(days=1))]
)
def test_it_refuses_a_time_outside_hours_or_off_the_grid(service, start):
    with pytest.raises(SlotUnavailable):
        book(service, starts_at=start)


def test_it_refuses_a_service_of_another_therapist(service):
    other = factories.ServiceFactory()
    with pytest.raises(ServiceNotOffered):
        booking_create(
            client=factories.BookableClientFactory(),
            therapist=service.therapist,
            service=other,
            starts_at=at(10),
            now=NOW,
        )


def test_it_refuses_an_unapproved_therapist(service):
    service.therapist.approval = service.therapist.Approval.PENDING
    service.therapist.save()
    with pytest.raises(TherapistUnavailable):
        book(service)


def test_an_expired_pending_booking_lets_its_slot_go(service):
    service.therapist.auto_confirm = False
    service.therapist.save()
    first = book(service)
    second = booking_create(
        client=factories.BookableClientFactory(),
        therapist=service.therapist,
        service=service,
        starts_at=at(10),
        now=NOW + dt.timedelta(hours=25),
    )
    first.refresh_from_db()
    assert first.status == Booking.Status.DECLINED
    assert second.status == Booking.Status.PENDING


def test_confirm_and_decline_only_move_pending_bookings(service):
    service.therapist.auto_confirm = False
    service.therapist.save()
    booking = book(service)
    booking_confirm(booking=booking, actor=service.therapist.user)
    with pytest.raises(BookingChangeRefused):
        booking_decline(booking=booking, actor=service.therapist.user, reason="busy")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.sequence == 1


def test_a_client_cannot_cancel_after_the_cutoff_but_the_therapist_can(service):
    booking = book(service)
    late = at(10) - dt.timedelta(hours=2)
    with pytest.raises(BookingChangeRefused):
        booking_cancel(booking=booking, actor=booking.client.user, now=late)
    booking_cancel(booking=booking, actor=service.therapist.user, reason="Ill", now=late)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.status_reason == "Ill"


def test_rescheduling_takes_the_new_slot_and_frees_the_old_one(service):
    booking = book(service, starts_at=at(10))
    moved = booking_reschedule(
        booking=booking, actor=booking.client.user, starts_at=at(10, 30), now=NOW
    )
    assert moved.pk == booking.pk
    assert moved.starts_at == at(10, 30)
    assert moved.sequence == 1
    event = moved.events.get(action="rescheduled")
    assert (event.from_starts_at, event.to_starts_at) == (at(10), at(10, 30))
    # the old time is free for someone else now, the new one is not
    book(service, starts_at=at(14))
    with pytest.raises(SlotUnavailable):
        book(service, starts_at=at(11))


def test_rescheduling_onto_a_taken_slot_keeps_the_old_booking(service):
    booking = book(service, starts_at=at(10))
    book(service, starts_at=at(13))
    with pytest.raises(SlotUnavailable):
        booking_reschedule(booking=booking, actor=booking.client.user, starts_at=at(13), now=NOW)
    booking.refresh_from_db()
    assert booking.starts_at == at(10)
    assert booking.status == Booking.Status.CONFIRMED


# --- Concurrency -----------------------------------------------------------------------------


def _race(service, n: int) -> tuple[list[Booking], list[Exception]]:
    clients = [factories.BookableClientFactory() for _ in range(n)]
    barrier = threading.Barrier(n)
    won: list[Booking] = []
    lost: list[Exception] = []
    lock = threading.Lock()

    def attempt(client) -> None:
        try:
            barrier.wait()
            booking = booking_create(
                client=client,
                therapist=service.therapist,
                service=service,
                starts_at=at(10),
                now=NOW,
            )
            with lock:
                won.append(booking)
        except Exception as exc:
            with lock:
                lost.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return won, lost


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_racing_for_one_slot_get_exactly_one_booking():
    service = factories.ServiceFactory()
    WeeklyHours.objects.create(
        therapist=service.therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    won, lost = _race(service, 20)
    assert len(won) == 1, lost
    assert len(lost) == 19
    assert all(isinstance(exc, SlotUnavailable) for exc in lost), lost
    assert Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_exclusion_constraint_alone_refuses_an_overlap_that_bypasses_the_service():
    if connection.vendor != "postgresql":
        pytest.skip(
            "exclusion constraints exist on PostgreSQL; SQLite serialises in booking_create"
        )
    first = factories.BookingFactory(starts_at=at(10))
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.BookingFactory(service=first.service, starts_at=at(10, 30))
    # a cancelled booking no longer holds the time
    Booking.objects.filter(pk=first.pk).update(status=Booking.Status.CANCELLED)
    second = factories.BookingFactory(service=first.service, starts_at=at(10, 30))
    # nor may one client be in two places at once, with two therapists
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.BookingFactory(client=second.client, starts_at=at(11))
