"""The availability cache never serves an answer a fresh computation would not give.

A hypothesis test drives random sequences of the changes that move free times, each through
the entry point a user would use (the booking services, the therapist's services, a plain
save as admin does, the expiry task, the clock moving on), and after every step compares
what anonymous visitors are served (cached) with a computation from scratch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking import tasks
from booking.models import Booking
from booking.policy import BookingRefused
from booking.selectors import available_slots, next_free_slots, slots_for_services
from booking.services import booking_cancel, booking_create, booking_reschedule
from tests import factories
from therapists.models import DateOverride, Service, TherapistProfile, TimeOff
from therapists.services import (
    date_override_add,
    date_override_remove,
    service_save,
    therapist_approve,
    therapist_reject,
    time_off_add_block,
    time_off_remove,
    weekly_hours_replace,
)

UTC = dt.UTC
START = dt.datetime(2026, 12, 7, 13, 7, tzinfo=UTC)  # a Monday morning in New York
DAYS = 14


class Rollback(Exception):
    """Ends an example: everything it wrote is rolled back."""


operations = st.one_of(
    st.tuples(st.just("book"), st.integers(0, 500), st.integers(0, 2)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 500)),
    st.tuples(st.just("hours"), st.sets(st.integers(0, 6)), st.integers(6, 12), st.integers(1, 9)),
    st.tuples(st.just("time off"), st.integers(0, 13 * 24), st.integers(1, 30)),
    st.tuples(st.just("time off removed"), st.integers(0, 5)),
    st.tuples(st.just("extra hours"), st.integers(0, 13), st.integers(6, 20)),
    st.tuples(st.just("extra hours removed"), st.integers(0, 5)),
    st.tuples(st.just("duration"), st.sampled_from([30, 45, 60, 90, 120])),
    st.tuples(st.just("service off"), st.booleans()),
    st.tuples(st.just("notice"), st.integers(0, 48)),
    st.tuples(st.just("daily cap"), st.integers(1, 6)),
    st.tuples(st.just("buffer"), st.integers(0, 90)),
    st.tuples(st.just("from home"), st.booleans()),
    st.tuples(st.just("auto confirm"), st.booleans()),
    st.tuples(st.just("approval"), st.booleans()),
    st.tuples(st.just("clock"), st.integers(1, 600)),
    st.tuples(
        st.just("expire"),
    ),
)


@pytest.fixture
def world(db):
    therapist = factories.TherapistProfileFactory(
        min_notice_hours=2, max_visits_per_day=4, min_travel_buffer_minutes=15
    )
    service = factories.ServiceFactory(therapist=therapist, duration_minutes=60)
    second = factories.ServiceFactory(therapist=therapist, duration_minutes=90)
    weekly_hours_replace(
        therapist=therapist, ranges=[(d, dt.time(9), dt.time(17)) for d in range(5)]
    )
    clients = [
        factories.BookableClientFactory(
            latitude=Decimal("40.7484") + Decimal(i) / 100, longitude=Decimal("-73.9940")
        )
        for i in range(3)
    ]
    return therapist, service, second, clients


def served_and_fresh(therapist_id: int, service_id: int, now: dt.datetime, stale: TherapistProfile):
    """What an anonymous visitor is served, three ways, and the fresh answer."""
    therapist = TherapistProfile.objects.get(pk=therapist_id)  # as a request loads it
    service = Service.objects.get(pk=service_id)
    service.therapist = therapist
    today = now.astimezone(therapist.tz).date()
    fresh = available_slots(
        therapist=therapist, service=service, start_date=today, days=DAYS, now=now, cached=False
    )
    served = {
        "slots API": available_slots(
            therapist=therapist,
            service=service,
            start_date=today,
            days=DAYS,
            now=now,
            rows_read_now=True,
        ),
        "a row held from before": available_slots(
            therapist=stale, service=service, start_date=today, days=DAYS, now=now
        ),
        "directory": slots_for_services(
            services=[service], start_date=today, days=DAYS, now=now, rows_read_now=True
        ).get(service.pk, []),
    }
    first = next_free_slots(therapist=therapist, service=service, count=3, days=DAYS, now=now)
    return served, fresh, first


def apply(op: tuple, *, therapist_id: int, service_id: int, clients, now: dt.datetime):
    therapist = TherapistProfile.objects.get(pk=therapist_id)
    service = Service.objects.get(pk=service_id)
    active = list(
        Booking.objects.filter(therapist=therapist, status__in=Booking.ACTIVE_STATUSES).order_by(
            "pk"
        )
    )
    kind = op[0]
    try:
        if kind == "book":
            client = clients[op[2]]
            free = available_slots(
                therapist=therapist,
                service=service,
                start_date=now.astimezone(therapist.tz).date(),
                days=DAYS,
                client=client,
                now=now,
            )
            if free:
                booking_create(
                    client=client,
                    therapist=therapist,
                    service=service,
                    starts_at=free[op[1] % len(free)],
                    now=now,
                )
        elif kind == "cancel" and active:
            booking_cancel(booking=active[op[1] % len(active)], actor=therapist.user, now=now)
        elif kind == "move" and active:
            booking = active[op[1] % len(active)]
            free = available_slots(
                therapist=therapist,
                service=booking.service,
                start_date=now.astimezone(therapist.tz).date(),
                days=DAYS,
                client=booking.client,
                now=now,
                exclude_booking=booking,
            )
            if free:
                booking_reschedule(
                    booking=booking,
                    actor=therapist.user,
                    starts_at=free[op[2] % len(free)],
                    now=now,
                )
        elif kind == "hours":
            start = dt.time(op[2])
            end = dt.time(min(op[2] + op[3], 23))
            weekly_hours_replace(therapist=therapist, ranges=[(d, start, end) for d in op[1]])
        elif kind == "time off":
            starts_at = now + dt.timedelta(hours=op[1])
            time_off_add_block(
                therapist=therapist,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=30 * op[2]),
            )
        elif kind == "time off removed":
            blocks = list(TimeOff.objects.filter(therapist=therapist).order_by("pk"))
            if blocks:
                time_off_remove(time_off=blocks[op[1] % len(blocks)])
        elif kind == "extra hours":
            day = now.astimezone(therapist.tz).date() + dt.timedelta(days=op[1])
            date_override_add(
                therapist=therapist,
                date=day,
                start_time=dt.time(op[2]),
                end_time=dt.time(min(op[2] + 3, 23)),
            )
        elif kind == "extra hours removed":
            extras = list(DateOverride.objects.filter(therapist=therapist).order_by("pk"))
            if extras:
                date_override_remove(override=extras[op[1] % len(extras)])
        elif kind == "duration":
            service_save(
                therapist=therapist,
                service=service,
                modality=service.modality,
                duration_minutes=op[1],
                price=service.price,
                is_active=service.is_active,
            )
        elif kind == "service off":
            service.is_active = op[1]
            service.save()  # as admin does
        elif kind in {"notice", "daily cap", "buffer", "from home", "auto confirm"}:
            field = {
                "notice": "min_notice_hours",
                "daily cap": "max_visits_per_day",
                "buffer": "min_travel_buffer_minutes",
                "from home": "travel_from_home_base",
                "auto confirm": "auto_confirm",
            }[kind]
            setattr(therapist, field, op[1])
            therapist.save()  # the profile form and admin both end in a save
        elif kind == "approval":
            if op[1]:
                therapist_approve(profile=therapist)
            else:
                therapist_reject(profile=therapist)
        elif kind == "expire":
            for booking in Booking.objects.filter(
                therapist=therapist, status__in=Booking.UNANSWERED_STATUSES, expires_at__lte=now
            ):
                tasks.booking_expire(booking=booking, now=now)
    except BookingRefused:
        pass  # refused changes change nothing; still compared below


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(operations, min_size=1, max_size=12))
def test_the_cached_answer_always_equals_a_fresh_one(world, steps):
    therapist, service, second, clients = world
    stale = TherapistProfile.objects.get(pk=therapist.pk)  # loaded once, never refreshed
    cache.clear()
    now = START
    try:
        with transaction.atomic():
            for op in steps:
                if op[0] == "clock":
                    now += dt.timedelta(minutes=op[1])
                else:
                    target = second if op[0] == "duration" and len(steps) % 2 else service
                    apply(
                        op,
                        therapist_id=therapist.pk,
                        service_id=target.pk,
                        clients=clients,
                        now=now,
                    )
                for service_id in (service.pk, second.pk):
                    served, fresh, first = served_and_fresh(therapist.pk, service_id, now, stale)
                    for way, answer in served.items():
                        assert answer == fresh, f"{way} after {op}"
                    assert first == fresh[:3], f"next free after {op}"
            raise Rollback
    except Rollback:
        pass


def test_it_serves_the_second_visitor_from_the_cache(world, django_assert_num_queries):
    therapist, service, _, _ = world
    today = START.astimezone(therapist.tz).date()
    first = available_slots(
        therapist=therapist, service=service, start_date=today, days=DAYS, now=START
    )
    assert first
    with django_assert_num_queries(1):  # the version only: no calendar is read
        again = available_slots(
            therapist=therapist, service=service, start_date=today, days=DAYS, now=START
        )
    assert again == first
    fresh_row = TherapistProfile.objects.get(pk=therapist.pk)  # as the slots API loads it
    with django_assert_num_queries(0):
        available_slots(
            therapist=fresh_row,
            service=service,
            start_date=today,
            days=DAYS,
            now=START,
            rows_read_now=True,
        )


def test_a_booking_by_the_worker_is_seen_by_the_web(world):
    """The version is a column, so a change made by another process (the Celery worker that
    expires holds, a second web worker) is seen even when each process has its own cache."""
    therapist, service, _, clients = world
    today = START.astimezone(therapist.tz).date()
    before = available_slots(
        therapist=therapist, service=service, start_date=today, days=DAYS, now=START
    )
    # "Another process": a write that never touches this process's objects or cache.
    TherapistProfile.objects.filter(pk=therapist.pk).update(auto_confirm=False)
    booking = booking_create(
        client=clients[0],
        therapist=TherapistProfile.objects.get(pk=therapist.pk),
        service=Service.objects.get(pk=service.pk),
        starts_at=before[0],
        now=START,
    )
    after = available_slots(
        therapist=therapist, service=service, start_date=today, days=DAYS, now=START
    )
    assert before[0] not in after
    tasks.booking_expire(booking=booking, now=booking.expires_at or START)
    assert (
        available_slots(
            therapist=therapist, service=service, start_date=today, days=DAYS, now=START
        )
        == before
    )


def test_a_booking_saved_outside_the_services_renews_the_list_once_committed(
    world, django_capture_on_commit_callbacks
):
    """Admin or a data fix saves a Booking directly: it holds no calendar lock, so the bump
    waits for the commit (bumping earlier could deadlock with a booking in flight)."""
    therapist, service, _, clients = world
    today = START.astimezone(therapist.tz).date()
    before = available_slots(
        therapist=therapist, service=service, start_date=today, days=DAYS, now=START
    )
    version = TherapistProfile.objects.get(pk=therapist.pk).availability_version
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        booking = factories.BookingFactory(
            client=clients[0], service=service, starts_at=before[0], status=Booking.Status.CONFIRMED
        )
        assert TherapistProfile.objects.get(pk=therapist.pk).availability_version == version
    assert callbacks
    after = available_slots(
        therapist=therapist, service=service, start_date=today, days=DAYS, now=START
    )
    assert before[0] not in after
    with django_capture_on_commit_callbacks(execute=True):
        booking.delete()
    assert (
        available_slots(
            therapist=therapist, service=service, start_date=today, days=DAYS, now=START
        )
        == before
    )
