"""Benchmark: the aftercare plan and the reminder dispatcher.

Builds a throwaway SQLite database under var/ (or uses BENCH_DATABASE_URL, which must point at
a throwaway database: it is migrated and filled), then times:
- ``aftercare_plan_create`` for completed visits (ms per visit, queries per visit);
- one dispatcher run over N due reminders, sending to the in-memory mail backend
  (reminders per second, queries per reminder);
- on PostgreSQL also two dispatcher runs at once in two threads (SKIP LOCKED sharing the rows),
  checking that each reminder was sent exactly once.
Prints one line per figure. Run with `make bench`.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-dispatch.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "1"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{DB}"

import django  # noqa: E402

django.setup()

from collections import Counter  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from aftercare.models import Reminder  # noqa: E402
from aftercare.services import aftercare_plan_create, reminders_dispatch_due  # noqa: E402
from booking.models import Booking  # noqa: E402
from clients.models import ClientProfile, Intake, PainArea  # noqa: E402
from therapists.models import Modality, Service, TherapistProfile  # noqa: E402

VISITS = 200
REMINDERS = 2000
CLIENTS = 100


def build() -> tuple[list[ClientProfile], list[Booking]]:
    if connection.vendor == "sqlite":
        connections.close_all()
        DB.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    Reminder.objects.all().delete()
    myofascial = Modality.objects.get(slug="myofascial")
    user = User.objects.create_user(
        f"bench-t-{time.time_ns()}@example.com", "x" * 12, role=User.Role.THERAPIST
    )
    therapist = TherapistProfile.objects.create(
        user=user,
        slug=f"bench-dispatch-{time.time_ns()}",
        display_name="Bench Therapist",
        licence_number="L1",
        postcode="10001",
        approval=TherapistProfile.Approval.APPROVED,
    )
    service = Service.objects.create(
        therapist=therapist, modality=myofascial, duration_minutes=60, price=Decimal("90")
    )
    clients = []
    for i in range(CLIENTS):
        u = User.objects.create_user(f"bench-c{i}-{time.time_ns()}@example.com", "x" * 12)
        clients.append(
            ClientProfile.objects.create(
                user=u, phone="1", street=f"{i} Main St", city="New York", postcode="10001"
            )
        )
    bookings = []
    now = timezone.now()
    for i in range(VISITS):
        client = clients[i % CLIENTS]
        intake = Intake.objects.create(
            client=client,
            version=Intake.objects.filter(client=client).count() + 1,
            pressure="medium",
            never_had_massage=i % 3 == 0,
            reasons=["fibromyalgia"] if i % 4 == 0 else ["back_neck"],
            consent_treatment=True,
            consent_data=True,
        )
        PainArea.objects.create(intake=intake, region="neck-back", intensity=6)
        starts = now - dt.timedelta(days=1, hours=i)
        bookings.append(
            Booking.objects.create(
                client=client,
                therapist=therapist,
                service=service,
                intake=intake,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                status=Booking.Status.COMPLETED,
                price=service.price,
                address="1 Main St",
            )
        )
    return clients, bookings


def due_reminders(clients: list[ClientProfile], n: int) -> None:
    due = timezone.now() - dt.timedelta(minutes=5)
    Reminder.objects.bulk_create(
        Reminder(
            client=clients[i % len(clients)],
            kind=Reminder.Kind.CHECK_IN,
            due_at=due,
            next_attempt_at=due,
            subject="Checking in",
            body=f"Reminder {i}",
        )
        for i in range(n)
    )


class QueryCount:
    """Counts every query on the default connection (no 9,000-query cap like the debug log)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.n += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> QueryCount:
        self._ctx = connection.execute_wrapper(self)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)

    def __len__(self) -> int:
        return self.n


def main() -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    clients, bookings = build()
    vendor = connection.vendor

    with QueryCount() as queries:
        started = time.perf_counter()
        for booking in bookings:
            aftercare_plan_create(booking=booking)
        elapsed = time.perf_counter() - started
    print(
        f"aftercare_plan_create ({vendor}): {elapsed / VISITS * 1000:.1f} ms per visit, "
        f"{len(queries) / VISITS:.1f} queries per visit ({VISITS} visits, 4 reminders each)"
    )

    Reminder.objects.all().delete()
    due_reminders(clients, REMINDERS)
    with QueryCount() as queries:
        started = time.perf_counter()
        result = reminders_dispatch_due(time_budget=dt.timedelta(minutes=10))
        elapsed = time.perf_counter() - started
    assert result.sent == REMINDERS and len(mail.outbox) == REMINDERS, result
    print(
        f"dispatch, one run ({vendor}): {REMINDERS / elapsed:.0f} reminders/s "
        f"({elapsed / REMINDERS * 1000:.2f} ms each), {len(queries) / REMINDERS:.1f} queries each"
    )

    if connection.features.has_select_for_update_skip_locked:
        Reminder.objects.all().delete()
        mail.outbox = []
        due_reminders(clients, REMINDERS)
        results = []

        def run() -> None:
            results.append(reminders_dispatch_due(time_budget=dt.timedelta(minutes=10)))
            connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        ids = Counter(int(m.extra_headers["X-HomeKnots-Reminder"]) for m in mail.outbox)
        twice = sum(1 for n in ids.values() if n > 1)
        print(
            f"dispatch, two runs at once ({vendor}): {REMINDERS / elapsed:.0f} reminders/s, "
            f"split {[r.sent for r in results]}, sent twice: {twice}, "
            f"missing: {REMINDERS - len(ids)}"
        )
    if vendor == "sqlite":
        connections.close_all()
        DB.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
