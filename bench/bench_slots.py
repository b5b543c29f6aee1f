"""Benchmark: how long the slot engine takes, and how many queries it makes.

Builds a throwaway SQLite database under var/, with therapists working 09:00-19:00 six days a
week and a realistic number of bookings, then times:
- available_slots for one therapist over 14 and 56 days;
- earliest_slots ("first available") across every therapist offering a modality (300 by
  default, BENCH_THERAPISTS to change), computed from scratch: it never reads the cache.
Prints one line per figure. Run with `make bench`.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-slots.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "1"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from booking.models import Booking  # noqa: E402
from booking.selectors import available_slots, earliest_slots  # noqa: E402
from clients.models import ClientProfile  # noqa: E402
from therapists.models import Modality, Service, TherapistProfile, WeeklyHours  # noqa: E402

THERAPISTS = int(os.environ.get("BENCH_THERAPISTS", "300"))
BOOKINGS_PER_THERAPIST = 120  # ~3 a working day over 8 weeks
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def build() -> tuple[TherapistProfile, Service, ClientProfile]:
    if not os.environ.get("BENCH_KEEP"):
        DB.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    myofascial = Modality.objects.get(slug="myofascial")
    client_user = User.objects.create_user("bench-client@example.com", None)
    client = ClientProfile.objects.create(
        user=client_user,
        phone="1",
        street="1 Main St",
        city="New York",
        postcode="10001",
        latitude=Decimal("40.7484"),
        longitude=Decimal("-73.9940"),
    )
    first = None
    for i in range(THERAPISTS):
        user = User.objects.create_user(f"bench-t{i}@example.com", None, role=User.Role.THERAPIST)
        therapist = TherapistProfile.objects.create(
            user=user,
            slug=f"bench-{i}",
            display_name=f"Therapist {i}",
            licence_number=f"L{i}",
            approval=TherapistProfile.Approval.APPROVED,
            postcode="10001",
            latitude=Decimal("40.75") + Decimal(i % 50) / 1000,
            longitude=Decimal("-73.99"),
            radius_km=30,
            min_notice_hours=0,
            max_visits_per_day=8,
        )
        therapist.modalities.add(myofascial)
        service = Service.objects.create(
            therapist=therapist, modality=myofascial, duration_minutes=60, price=Decimal("90")
        )
        WeeklyHours.objects.bulk_create(
            WeeklyHours(therapist=therapist, weekday=d, start_time=dt.time(9), end_time=dt.time(19))
            for d in range(6)
        )
        bookings = []
        day = NOW.date()
        while len(bookings) < BOOKINGS_PER_THERAPIST:
            day += dt.timedelta(days=1)
            if day.weekday() == 6:
                continue
            for hour in (14, 17, 21):  # UTC: 09:00, 12:00 and 16:00 in New York
                start = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
                bookings.append(
                    Booking(
                        client=client,
                        therapist=therapist,
                        service=service,
                        starts_at=start,
                        ends_at=start + dt.timedelta(hours=1),
                        status=Booking.Status.CONFIRMED,
                        price=service.price,
                        address="1 Main St",
                    )
                )
        # The benchmark client would overlap itself; the engine doesn't care whose visit it is.
        Booking.objects.bulk_create(bookings[:BOOKINGS_PER_THERAPIST])
        first = first or (therapist, service)
    return first[0], first[1], client


def timed(label: str, fn, repeat: int = 15) -> None:
    fn()  # warm up
    with CaptureQueriesContext(connection) as queries:
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<58} median {statistics.median(samples):7.1f} ms   "
        f"p90 {sorted(samples)[int(repeat * 0.9) - 1]:7.1f} ms   queries {len(queries)}"
    )


def main() -> None:
    therapist, service, _client = build()
    start = NOW.date()
    print(
        f"slot engine: {THERAPISTS} therapists, "
        f"{BOOKINGS_PER_THERAPIST} bookings each, 15-minute grid"
    )
    for days in (14, 56):
        timed(
            f"available_slots, one therapist, {days} days, computed",
            lambda days=days: available_slots(
                therapist=therapist,
                service=service,
                start_date=start,
                days=days,
                now=NOW,
                cached=False,
            ),
        )
    timed(
        "available_slots, one therapist, 14 days, from the cache",
        lambda: available_slots(
            therapist=therapist,
            service=service,
            start_date=start,
            days=14,
            now=NOW,
            rows_read_now=True,
        ),
    )
    timed(
        f"first available across {THERAPISTS} therapists, 14 days",
        lambda: earliest_slots(modality="myofascial", postcode="10001", days=14, now=NOW),
        repeat=9,
    )
    if not os.environ.get("BENCH_KEEP"):
        DB.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
