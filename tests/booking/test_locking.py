"""The therapist lock, where the exclusion constraint cannot help.

Two visits next to each other inside the therapist's travel buffer do not overlap, nor do two
visits on one day under a daily cap: only the lock in ``booking_create`` (re-checking the slot
after taking it) keeps both from being booked. Each race has a control run with the lock taken
out, which shows the race is real: both bookings go through.

Also: a wait for the lock is bounded and answered "busy, try again"; a write that skipped the
lock and overlaps makes the locked booking fail as "slot taken", never a deadlock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from contextlib import contextmanager, suppress
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction

from booking import services
from booking.models import Booking
from booking.services import BookingBusy, SlotUnavailable, booking_create
from clients.models import ClientProfile
from tests import factories
from therapists.models import TherapistProfile, WeeklyHours

NY = ZoneInfo("America/New_York")
MONDAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db(transaction=True)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(MONDAY, dt.time(hour, minute), tzinfo=NY).astimezone(dt.UTC)


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and lock_timeout are PostgreSQL's; SQLite runs one write at a time")


def _therapist(**extra) -> tuple[TherapistProfile, object]:
    service = factories.ServiceFactory(
        therapist__min_travel_buffer_minutes=30, therapist__radius_km=50, **extra
    )
    WeeklyHours.objects.create(
        therapist=service.therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    return service.therapist, service


def _race(service, slots: list[dt.datetime]) -> tuple[list[Booking], list[Exception]]:
    """Each slot booked by its own client in its own thread; every thread checks the calendar
    before any of them inserts (a barrier inside the check), the worst interleaving."""
    clients = [
        factories.BookableClientFactory(
            latitude=Decimal("40.7484") + Decimal(i) / 100, longitude=Decimal("-73.9940")
        )
        for i in range(len(slots))
    ]
    # Shorter than the lock timeout: with the lock, the others cannot reach the barrier.
    checked = threading.Barrier(len(slots), timeout=1)
    real = services.available_slots

    def check_then_wait(**kwargs):
        found = real(**kwargs)
        # With the lock the others are still waiting for it: go on alone.
        with suppress(threading.BrokenBarrierError):
            checked.wait()
        return found

    won: list[Booking] = []
    lost: list[Exception] = []
    guard = threading.Lock()

    def attempt(client, starts_at) -> None:
        try:
            booking = booking_create(
                client=client,
                therapist=service.therapist,
                service=service,
                starts_at=starts_at,
                now=NOW,
            )
            with guard:
                won.append(booking)
        except Exception as exc:
            with guard:
                lost.append(exc)
        finally:
            connections.close_all()

    services.available_slots = check_then_wait
    try:
        threads = [
            threading.Thread(target=attempt, args=(c, s))
            for c, s in zip(clients, slots, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        services.available_slots = real
    return won, lost


@contextmanager
def _without_the_lock():
    """The control: the same service with the row locks taken out."""

    @contextmanager
    def no_lock(*, therapist_id, client_id):
        yield (
            TherapistProfile.objects.get(pk=therapist_id),
            ClientProfile.objects.get(pk=client_id),
        )

    real = services._calendar_lock
    services._calendar_lock = no_lock
    try:
        yield
    finally:
        services._calendar_lock = real


ADJACENT = [at(10), at(11, 15)]  # 60-minute visits, 15 minutes apart: inside the 30 buffer
SAME_DAY = [at(9), at(14)]  # far apart, but the therapist takes one visit a day


def test_two_clients_racing_for_adjacent_slots_inside_the_travel_buffer_get_one():
    _postgres_only()
    _unused, service = _therapist()
    won, lost = _race(service, ADJACENT)
    assert len(won) == 1, lost
    assert [type(e) for e in lost] == [SlotUnavailable]
    assert Booking.objects.count() == 1


def test_control_without_the_lock_both_adjacent_slots_are_booked():
    _postgres_only()
    _unused, service = _therapist()
    with _without_the_lock():
        won, lost = _race(service, ADJACENT)
    assert len(won) == 2, "the race should be real: the lock is what prevents it"
    assert not lost


def test_two_clients_racing_for_the_last_visit_under_the_daily_cap_get_one():
    _postgres_only()
    _unused, service = _therapist(therapist__max_visits_per_day=1)
    won, lost = _race(service, SAME_DAY)
    assert len(won) == 1, lost
    assert [type(e) for e in lost] == [SlotUnavailable]


def test_control_without_the_lock_the_daily_cap_is_broken():
    _postgres_only()
    _unused, service = _therapist(therapist__max_visits_per_day=1)
    with _without_the_lock():
        won, _lost = _race(service, SAME_DAY)
    assert len(won) == 2


def test_a_long_wait_for_the_calendar_is_a_busy_refusal_not_a_hang(settings):
    _postgres_only()
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    therapist, service = _therapist()
    client = factories.BookableClientFactory()
    holding = threading.Event()
    release = threading.Event()

    def hold_the_lock() -> None:
        with transaction.atomic():
            TherapistProfile.objects.select_for_update().get(pk=therapist.pk)
            holding.set()
            release.wait(5)
        connections.close_all()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(5)
        with pytest.raises(BookingBusy) as refused:
            booking_create(
                client=client, therapist=therapist, service=service, starts_at=at(10), now=NOW
            )
        assert "try again" in str(refused.value)
    finally:
        release.set()
        holder.join(10)
    assert not Booking.objects.exists()


def test_an_unlocked_overlapping_insert_makes_the_locked_booking_slot_taken_not_a_deadlock():
    """The locked booking holds the therapist row; a write that skips the lock inserts an
    overlapping visit (its foreign-key check needs a share lock on that row: FOR NO KEY UPDATE
    lets it through) and commits; the locked booking's insert then meets the exclusion
    constraint and is refused as "slot taken"."""
    _postgres_only()
    therapist, service = _therapist()
    client = factories.BookableClientFactory()
    other = factories.BookableClientFactory()
    locked = threading.Event()
    inserted = threading.Event()
    real = services.available_slots
    outcome: list[object] = []

    def check_then_wait(**kwargs):
        found = real(**kwargs)
        locked.set()
        inserted.wait(5)
        return found

    def locked_booking() -> None:
        try:
            outcome.append(
                booking_create(
                    client=client, therapist=therapist, service=service, starts_at=at(10), now=NOW
                )
            )
        except Exception as exc:
            outcome.append(exc)
        finally:
            connections.close_all()

    def unlocked_insert() -> None:
        try:
            assert locked.wait(5)
            with transaction.atomic():
                factories.BookingFactory(client=other, service=service, starts_at=at(10, 30))
                inserted.set()
                # Commit once the locked booking waits on this row; Django's foreign keys are
                # checked at commit, which needs a share lock on the therapist's row.
                time.sleep(0.5)
        finally:
            inserted.set()
            connections.close_all()

    services.available_slots = check_then_wait
    try:
        threads = [
            threading.Thread(target=locked_booking),
            threading.Thread(target=unlocked_insert),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        services.available_slots = real
    (result,) = outcome
    assert isinstance(result, SlotUnavailable), result
    assert Booking.objects.count() == 1
