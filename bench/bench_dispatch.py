"""Benchmark: the aftercare plan and the reminder dispatcher, on the real mix.

The real mix is what the dispatcher sends all day: the four aftercare reminders (water, the day
after, the check-in, the follow-up with free times) of completed visits, for clients with
intakes (pain areas, reasons, screening), some with session notes, some already booked again,
with therapists in three time zones who have working hours (the follow-up lists free times).

Builds a throwaway database (SQLite under var/ by default; ``DATABASE_URL`` or
``BENCH_DATABASE_URL`` for another, which must be a throwaway: it is migrated and filled, e.g.
``postgres://postgres@127.0.0.1:5432/hk_perf``), then times:

- ``aftercare_plan_create`` for the completed visits (ms and queries per visit);
- one worker process clearing every due reminder (``BENCH_REMINDERS``, default 10,000):
  reminders per second, queries per reminder;
- ``BENCH_WORKERS`` (default 4) worker processes at once over the same reminders made due
  again: reminders per second, the ratio to one worker, and how many reminders were e-mailed
  twice or not at all (both must be 0).

``BENCH_SEND_MS=5`` gives each e-mail a mail server's round trip (the in-memory backend
otherwise answers at once, so the workers only compete for CPU); ``BENCH_REMINDERS`` and
``BENCH_WORKERS`` change the sizes. Each figure says the machine's load average, since a shared
machine's other work takes CPU from the workers; the worker CPU per reminder does not depend
on it as much.

Workers send to the in-memory mail backend; each reports which reminders it e-mailed (the
``X-HomeKnots-Reminder`` header). Prints one line per figure. Run with `make bench`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-dispatch.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "1"
os.environ["DATABASE_URL"] = (
    os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or f"sqlite:///{DB}"
)
os.environ.pop("DJANGO_TESTING", None)

import django  # noqa: E402

django.setup()

from collections import Counter  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.mail.backends import locmem  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from aftercare.models import Reminder, SessionNote  # noqa: E402
from aftercare.services import aftercare_plan_create, reminders_dispatch_due  # noqa: E402
from booking.models import Booking  # noqa: E402
from clients.models import ClientProfile, Intake, PainArea  # noqa: E402
from therapists.models import Modality, Service, TherapistProfile, WeeklyHours  # noqa: E402

REMINDERS = int(os.environ.get("BENCH_REMINDERS", "10000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SEND_MS = float(os.environ.get("BENCH_SEND_MS", "0"))
VISITS = max(REMINDERS // len(Reminder.PLAN_KINDS), 1)
CLIENTS = max(VISITS // 5, 1)  # five visits each: first-timers, regulars, long gaps
THERAPISTS = 20
ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles"]
REASONS = [
    [Intake.Reason.BACK_NECK],
    [Intake.Reason.FIBROMYALGIA, Intake.Reason.BACK_NECK],
    [Intake.Reason.HEADACHES],
    [Intake.Reason.CHRONIC_PAIN, Intake.Reason.REPETITIVE_STRAIN],
    [Intake.Reason.SPORTS_INJURY],
]
AREAS = ["neck-back", "upper-back-right", "lower-back", "shoulder-left", "jaw-right", "mid-back"]


def build() -> list[Booking]:
    """The world of the real mix; returns the completed visits (their plans not yet made)."""
    if connection.vendor == "sqlite":
        connections.close_all()
        DB.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    Reminder.objects.all().delete()
    run = time.time_ns()
    modalities = list(Modality.objects.order_by("slug"))
    therapists, services = [], []
    for i in range(THERAPISTS):
        user = User.objects.create_user(
            f"bench-t{i}-{run}@example.com", "x" * 12, role=User.Role.THERAPIST, first_name="Ana"
        )
        therapist = TherapistProfile.objects.create(
            user=user,
            slug=f"bench-dispatch-{i}-{run}",
            display_name=f"Bench Therapist {i}",
            licence_number=f"L{i}",
            postcode="10001",
            latitude=Decimal("40.750742"),
            longitude=Decimal("-73.996530"),
            radius_km=30,
            time_zone=ZONES[i % len(ZONES)],
            min_notice_hours=2,
            approval=TherapistProfile.Approval.APPROVED,
            approved_at=timezone.now(),
        )
        therapist.modalities.set(modalities[:2])
        WeeklyHours.objects.bulk_create(
            WeeklyHours(therapist=therapist, weekday=d, start_time=dt.time(9), end_time=dt.time(17))
            for d in range(6)
        )
        therapists.append(therapist)
        services.append(
            Service.objects.create(
                therapist=therapist,
                modality=modalities[i % len(modalities)],
                duration_minutes=60 + 30 * (i % 2),
                price=Decimal("90"),
            )
        )
    users = User.objects.bulk_create(
        User(
            email=f"bench-c{i}-{run}@example.com",
            first_name=f"Client{i}" if i % 7 else "",
            last_name="Bench",
            role=User.Role.CLIENT,
        )
        for i in range(CLIENTS)
    )
    clients = ClientProfile.objects.bulk_create(
        ClientProfile(
            user=u,
            phone="1",
            street=f"{i} Main St",
            city="New York",
            postcode="10001",
            latitude=Decimal("40.748400"),
            longitude=Decimal("-73.994000"),
            time_zone=ZONES[i % len(ZONES)],
            access_notes="Buzzer 4B" if i % 2 else "",
            email_offers=i % 17 != 0,  # no suggestions: their follow-ups are skipped
        )
        for i, u in enumerate(users)
    )
    today = timezone.localdate()
    intakes = Intake.objects.bulk_create(
        Intake(
            client=c,
            version=1,
            reasons=REASONS[i % len(REASONS)],
            pressure=Intake.Pressure.MEDIUM,
            never_had_massage=i % 4 == 0,
            last_massage_on=None if i % 4 == 0 else today - dt.timedelta(days=30 * (i % 9)),
            screening=[Intake.Screening.FEVER] if i % 11 == 0 else [],
            screening_none=i % 11 != 0,
            consent_treatment=True,
            consent_data=True,
            consented_at=timezone.now(),
        )
        for i, c in enumerate(clients)
    )
    PainArea.objects.bulk_create(
        PainArea(intake=intake, region=AREAS[(i + k) % len(AREAS)], intensity=4 + k)
        for i, intake in enumerate(intakes)
        for k in range(i % 3)  # none, one or two areas
    )
    now = timezone.now().replace(second=0, microsecond=0)
    visits = []
    for i in range(VISITS):
        c = i % CLIENTS
        t = i % THERAPISTS
        # The therapist's k-th visit back in time, 16 hours apart: never overlapping, and a
        # client's five visits about 17 days apart.
        starts = now - dt.timedelta(days=1, hours=16 * (i // THERAPISTS))
        visits.append(
            Booking(
                client=clients[c],
                therapist=therapists[t],
                service=services[t],
                intake=intakes[c],
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=services[t].duration_minutes),
                status=Booking.Status.COMPLETED,
                price=services[t].price,
                address=clients[c].address_one_line,
                latitude=clients[c].latitude,
                longitude=clients[c].longitude,
                access_notes=clients[c].access_notes,
            )
        )
    visits = Booking.objects.bulk_create(visits)
    # One client in ten has booked again: their follow-ups are skipped, not sent.
    upcoming = []
    for k, c in enumerate(range(0, CLIENTS, 10)):
        t = k % THERAPISTS
        starts = now + dt.timedelta(days=3, hours=2 * (k // THERAPISTS))
        upcoming.append(
            Booking(
                client=clients[c],
                therapist=therapists[t],
                service=services[t],
                intake=intakes[c],
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=services[t].duration_minutes),
                status=Booking.Status.CONFIRMED,
                price=services[t].price,
                address=clients[c].address_one_line,
            )
        )
    Booking.objects.bulk_create(upcoming)
    # Half the visits have notes: treated areas, pressure (some deep), advice, the interval.
    SessionNote.objects.bulk_create(
        SessionNote(
            booking=b,
            therapist_id=b.therapist_id,
            client_id=b.client_id,
            treated_areas=[AREAS[i % len(AREAS)], AREAS[(i + 2) % len(AREAS)]] if i % 4 else [],
            pressure_used=4 + i % 5,
            advice="Stretch the neck gently twice a day." if i % 3 else "",
            follow_up_days=14 + 7 * (i % 3),
        )
        for i, b in enumerate(visits)
        if i % 2 == 0
    )
    return visits


def make_all_due() -> int:
    """Every plan reminder pending and due now (a backlog), none stale: the worst case."""
    now = timezone.now()
    return Reminder.objects.update(
        status=Reminder.Status.PENDING,
        due_at=now - dt.timedelta(minutes=5),
        next_attempt_at=now - dt.timedelta(minutes=5),
        stale_after=now + dt.timedelta(days=1),
        attempts=0,
        sent_at=None,
        sent_by="",
        claim_token="",
        claimed_at=None,
        subject="",
        body="",
        skip_reason="",
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


class SlowMailServer(locmem.EmailBackend):
    """The in-memory backend with a mail server's round trip (``BENCH_SEND_MS`` per message):
    a worker then waits as it does over SMTP, and more workers overlap their waits."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        time.sleep(SEND_MS / 1000)
        return super().send_messages(messages)


def worker(name: str) -> None:
    """One worker process: wait for "go" on stdin, dispatch until nothing is due, report."""
    settings.DEBUG = False  # as in production: no query log
    settings.EMAIL_BACKEND = (
        "__main__.SlowMailServer" if SEND_MS else "django.core.mail.backends.locmem.EmailBackend"
    )
    mail.outbox = []
    connection.ensure_connection()
    # Warm up what every process pays once (templates, URL resolver) before the clock starts.
    from django.template.loader import get_template
    from django.urls import reverse

    get_template("aftercare/email/reminder.html")
    reverse("dashboard")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    with QueryCount() as queries:
        started, cpu = time.time(), time.process_time()
        result = reminders_dispatch_due(time_budget=dt.timedelta(minutes=30), worker=name)
        ended, cpu = time.time(), time.process_time() - cpu
    ids = [int(m.extra_headers["X-HomeKnots-Reminder"]) for m in mail.outbox]
    report = {
        "start": started,
        "end": ended,
        "queries": len(queries),
        "cpu": cpu,
        "result": result.as_dict(),
        "ids": ids,
    }
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()


def run_workers(n: int) -> tuple[float, list[dict]]:  # type: ignore[type-arg]
    """Start ``n`` worker processes, let them go at once; (seconds, their reports)."""
    connections.close_all()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", f"bench-worker-{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for i in range(n)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    reports = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"a worker failed (exit {p.returncode})")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    return elapsed, reports


def summary(n: int, elapsed: float, reports: list[dict], total: int) -> tuple[float, str]:  # type: ignore[type-arg]
    ids = Counter(i for r in reports for i in r["ids"])
    twice = sum(1 for c in ids.values() if c > 1)
    sent = sum(r["result"]["sent"] for r in reports)
    skipped = sum(r["result"]["skipped"] + r["result"]["cancelled"] for r in reports)
    left = Reminder.objects.exclude(
        status__in=[Reminder.Status.SENT, Reminder.Status.SKIPPED, Reminder.Status.CANCELLED]
    ).count()
    failed = sum(r["result"]["failed"] + r["result"]["retrying"] for r in reports)
    queries = sum(r["queries"] for r in reports)
    cpu = sum(r["cpu"] for r in reports)
    rate = total / elapsed
    line = (
        f"dispatch, {n} worker{'s' if n > 1 else ''} ({connection.vendor}): "
        f"{rate:.0f} reminders/s, {total} in {elapsed:.1f} s, {queries / total:.2f} queries "
        f"and {cpu / total * 1000:.2f} ms of worker CPU each (load {os.getloadavg()[0]:.1f}); "
        f"e-mailed {sent}, skipped {skipped}, failed {failed}, not done {left}, "
        f"e-mailed twice {twice}, split {[r['result']['sent'] for r in reports]}"
    )
    assert twice == 0 and left == 0 and failed == 0, line
    assert sent == len(ids), line
    return rate, line


def main() -> None:
    visits = build()
    vendor = connection.vendor
    planned = visits[:200]
    with QueryCount() as queries:
        started = time.perf_counter()
        for booking in planned:
            aftercare_plan_create(booking=booking)
        elapsed = time.perf_counter() - started
    print(
        f"aftercare_plan_create ({vendor}): {elapsed / len(planned) * 1000:.1f} ms per visit, "
        f"{len(queries) / len(planned):.1f} queries per visit ({len(planned)} visits, "
        "4 reminders each)"
    )
    for booking in visits[len(planned) :]:
        aftercare_plan_create(booking=booking)
    total = make_all_due()
    kinds = Counter(Reminder.objects.values_list("kind", flat=True))
    print(
        f"real mix: {total} reminders, {dict(sorted(kinds.items()))}, "
        f"mail server round trip {SEND_MS:g} ms",
        flush=True,
    )

    elapsed, reports = run_workers(1)
    one, line = summary(1, elapsed, reports, total)
    print(line, flush=True)
    if WORKERS > 1:
        make_all_due()
        elapsed, reports = run_workers(WORKERS)
        many, line = summary(WORKERS, elapsed, reports, total)
        print(line, flush=True)
        print(f"dispatch, {WORKERS} workers / 1 worker ({vendor}): {many / one:.2f}x")
    if vendor == "sqlite":
        connections.close_all()
        DB.unlink(missing_ok=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        main()
