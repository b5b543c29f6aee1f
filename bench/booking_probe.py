"""Measure booking_create in the tree this file is run from (see bench_booking.py).

Sets up one therapist open six days a week and ``N`` clients with an intake, then books one
visit per client through ``booking.services.booking_create`` and records, per booking:
- the wall time of the call, after-commit hooks included (what the request waits for);
- how long the therapist's calendar was held: from the transaction's first read of the
  therapist row (the row lock on PostgreSQL; on SQLite the whole transaction holds the write
  lock) to the commit.
Prints one JSON line. Written against the ORM only, so the same file measures an older tree.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "1"
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["EMAIL_URL"] = "dummymail://"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from booking.selectors import available_slots  # noqa: E402
from booking.services import booking_create  # noqa: E402
from clients.models import ClientProfile, Intake  # noqa: E402
from therapists.models import Modality, Service, TherapistProfile, WeeklyHours  # noqa: E402

N = int(os.environ.get("BENCH_BOOKINGS", "30"))
WARM_UP = 3


def setup() -> tuple[TherapistProfile, Service, list[ClientProfile]]:
    call_command("migrate", verbosity=0)
    modality = Modality.objects.get(slug="myofascial")
    user = User.objects.create_user("probe-t@example.com", "x" * 12, role="therapist")
    therapist = TherapistProfile.objects.create(
        user=user,
        slug="probe",
        display_name="Probe Therapist",
        licence_number="L1",
        approval="approved",
        postcode="10001",
        latitude=Decimal("40.75"),
        longitude=Decimal("-73.99"),
        radius_km=30,
        min_notice_hours=0,
        max_visits_per_day=8,
    )
    therapist.modalities.add(modality)
    service = Service.objects.create(
        therapist=therapist, modality=modality, duration_minutes=60, price=Decimal("90")
    )
    WeeklyHours.objects.bulk_create(
        WeeklyHours(therapist=therapist, weekday=d, start_time=dt.time(9), end_time=dt.time(19))
        for d in range(6)
    )
    clients = []
    for i in range(N + WARM_UP):
        cuser = User.objects.create_user(f"probe-c{i}@example.com", "x" * 12)
        client = ClientProfile.objects.create(
            user=cuser,
            phone="1",
            street=f"{i} Main St",
            city="New York",
            postcode="10001",
            latitude=Decimal("40.7484"),
            longitude=Decimal("-73.9940"),
        )
        Intake.objects.create(
            client=client,
            version=1,
            pressure="medium",
            last_massage_on=dt.date.today() - dt.timedelta(days=30),
            consent_treatment=True,
            consent_data=True,
        )
        clients.append(client)
    return therapist, service, clients


class HoldClock:
    """Notes when a booking transaction first reads the therapist row, and when it commits."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.holds: list[float] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if (
            self.started is None
            and connection.in_atomic_block
            and "therapists_therapistprofile" in sql
            and sql.lstrip().upper().startswith("SELECT")
        ):
            self.started = time.perf_counter()
            transaction.on_commit(self._committed)
        return execute(sql, params, many, context)

    def _committed(self) -> None:
        assert self.started is not None
        self.holds.append((time.perf_counter() - self.started) * 1000)


def main() -> None:
    therapist, service, clients = setup()
    first_day = dt.date.today() + dt.timedelta(days=1)
    slots = available_slots(therapist=therapist, service=service, start_date=first_day, days=40)
    # One visit per day at most, so each booking sees the same, small calendar.
    by_day: dict[dt.date, dt.datetime] = {}
    for slot in slots:
        by_day.setdefault(slot.astimezone(therapist.tz).date(), slot)
    chosen = list(by_day.values())[: N + WARM_UP]
    times: list[float] = []
    clock = HoldClock()
    with connection.execute_wrapper(clock):
        for i, (client, starts_at) in enumerate(zip(clients, chosen, strict=True)):
            clock.started = None
            start = time.perf_counter()
            booking_create(client=client, therapist=therapist, service=service, starts_at=starts_at)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= WARM_UP:
                times.append(elapsed)
    holds = clock.holds[WARM_UP:]
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "bookings": len(times),
                "create_median_ms": statistics.median(times),
                "create_p90_ms": sorted(times)[int(len(times) * 0.9) - 1],
                "hold_median_ms": statistics.median(holds),
                "hold_p90_ms": sorted(holds)[int(len(holds) * 0.9) - 1],
            }
        )
    )


if __name__ == "__main__":
    main()
