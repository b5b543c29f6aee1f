"""Benchmark: every admin list (each registered ModelAdmin's changelist, first page) at size.

The database is seeded once by ``seed_load`` (200 therapists, 20,000 clients, 200,000 bookings
and what goes with them; ``BENCH_ADMIN_SCALE`` scales it) and reused on the next run:
SQLite in var/bench-admin.sqlite3 by default, or the PostgreSQL database ``DATABASE_URL`` names
(give it a database of its own: the bench adds rows to it). A superuser with two-factor on
(health-data lists need it) opens each list ``BENCH_ADMIN_RUNS`` times (default 5) after one
warm-up; prints the median and the slowest time and the number of queries. Target: < 300 ms.
``BENCH_ADMIN_STRICT=1`` exits non-zero when a list misses it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    (ROOT / "var").mkdir(exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench-admin.sqlite3'}"
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from backoffice.load import scaled, seed_load  # noqa: E402
from booking.models import Booking  # noqa: E402

TARGET_MS = 300.0
TAG = "bench"


def database() -> str:
    if connection.vendor == "postgresql":
        return f"PostgreSQL ({connection.settings_dict['NAME']})"
    return f"SQLite ({Path(str(connection.settings_dict['NAME'])).name})"


def ensure_data(scale: float) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    sizes = scaled(scale)
    have = Booking.objects.filter(therapist__slug__startswith=f"{TAG}-therapist-").count()
    if have >= sizes["bookings"]:
        print(f"reusing {have:,} bookings already seeded")
        return
    if have:
        raise SystemExit(
            f"the database holds {have:,} bench bookings, fewer than {sizes['bookings']:,}: "
            "drop it (or delete var/bench-admin.sqlite3) and run again"
        )
    started = time.perf_counter()
    loaded = seed_load(**sizes, tag=TAG)
    print(
        f"seeded {sum(loaded.counts.values()):,} rows "
        f"({sizes['therapists']:,} therapists, {sizes['clients']:,} clients, "
        f"{sizes['bookings']:,} bookings) in {time.perf_counter() - started:.1f} s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def staff() -> User:
    user, _ = User.objects.get_or_create(
        email="bench-admin@load.example",
        defaults={"is_staff": True, "is_superuser": True, "role": User.Role.STAFF},
    )
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    return user


def main() -> int:
    settings.DEBUG = False  # no query log kept in memory while timing
    scale = float(os.environ.get("BENCH_ADMIN_SCALE", "1"))
    runs = int(os.environ.get("BENCH_ADMIN_RUNS", "5"))
    print(f"bench_admin: every admin list's first page on {database()}, scale {scale:g}")
    ensure_data(scale)
    client = Client()
    client.force_login(staff())
    rows = []
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        rows.append(
            (
                model._meta.label,
                model._default_manager.count(),
                statistics.median(times),
                max(times),
                len(ctx.captured_queries),
            )
        )
    print(f"{'admin list':34} {'rows':>9} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    slow = []
    for label, count, median, worst, queries in rows:
        flag = "" if median < TARGET_MS else "  over target"
        if flag:
            slow.append(label)
        print(f"{label:34} {count:>9,} {median:>10.1f} {worst:>8.1f} {queries:>8}{flag}")
    print(
        f"{len(rows)} lists; target median < {TARGET_MS:.0f} ms: "
        + ("all met" if not slow else f"missed by {', '.join(slow)}")
    )
    return 1 if slow and os.environ.get("BENCH_ADMIN_STRICT") else 0


if __name__ == "__main__":
    raise SystemExit(main())
