"""Data for bench_http, run in its own process with the server's environment: migrate, collect
static files, load the demo, grow it to N therapists and about M bookings, and print the URLs
to measure as JSON on the last line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from booking.models import Booking  # noqa: E402
from clients.models import ClientProfile  # noqa: E402
from core.geo import lookup_postcode  # noqa: E402
from therapists.models import Modality, Service, TherapistProfile, WeeklyHours  # noqa: E402

MODALITIES = ["myofascial", "neuromuscular", "sports", "clinical"]
ZIPS = [f"{n:05d}" for n in range(10001, 10041)] + [f"{n:05d}" for n in range(11201, 11240)]


def grow(therapists: int, bookings: int) -> int:
    modalities = {m.slug: m for m in Modality.objects.all()}
    points = [(z, p) for z in ZIPS if (p := lookup_postcode(z)) is not None]
    existing = TherapistProfile.objects.count()
    now = timezone.now()
    made: list[tuple[TherapistProfile, Service, ClientProfile]] = []
    for i in range(existing, therapists):
        zip_code, point = points[i % len(points)]
        user = User.objects.create_user(
            f"bench-t{i}@example.com", "bench-password-1", role=User.Role.THERAPIST
        )
        therapist = TherapistProfile.objects.create(
            user=user,
            slug=f"bench-therapist-{i}",
            display_name=f"Bench Therapist {i}",
            licence_number=f"NY-{i:05d}",
            approval=TherapistProfile.Approval.APPROVED,
            approved_at=now,
            time_zone="America/New_York",
            postcode=zip_code,
            latitude=Decimal(str(point.latitude)),
            longitude=Decimal(str(point.longitude)),
            radius_km=15 + i % 20,
            bio="Trigger point work for neck, shoulder and back pain.",
        )
        slugs = [MODALITIES[i % 4], MODALITIES[(i + 1) % 4]]
        therapist.modalities.set([modalities[s] for s in slugs])
        service = Service.objects.create(
            therapist=therapist,
            modality=modalities[slugs[0]],
            duration_minutes=60,
            price=Decimal("90") + i,
        )
        Service.objects.create(
            therapist=therapist, modality=modalities[slugs[1]], duration_minutes=90, price=130
        )
        WeeklyHours.objects.bulk_create(
            WeeklyHours(therapist=therapist, weekday=d, start_time=dt.time(9), end_time=dt.time(18))
            for d in range(5)
        )
        client_user = User.objects.create_user(f"bench-c{i}@example.com", "bench-password-1")
        client = ClientProfile.objects.create(
            user=client_user,
            phone="2125550100",
            street=f"{i} Main St",
            city="New York",
            postcode=zip_code,
            latitude=Decimal(str(point.latitude)),
            longitude=Decimal(str(point.longitude)),
        )
        made.append((therapist, service, client))

    have = Booking.objects.count()
    rows: list[Booking] = []
    tz = dt.timezone(dt.timedelta(hours=-5))
    day_offsets = [d for d in range(-7, 15)]
    slot = 0
    while made and have + len(rows) < bookings:
        therapist, service, client = made[slot % len(made)]
        day = now.date() + dt.timedelta(days=day_offsets[(slot // len(made)) % len(day_offsets)])
        hour = (10, 13, 16)[(slot // (len(made) * len(day_offsets))) % 3]
        start = dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
        slot += 1
        if day.weekday() >= 5:
            continue
        past = start < now
        rows.append(
            Booking(
                client=client,
                therapist=therapist,
                service=service,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=service.duration_minutes),
                status=Booking.Status.COMPLETED if past else Booking.Status.CONFIRMED,
                price=service.price,
                address=client.street,
                latitude=client.latitude,
                longitude=client.longitude,
            )
        )
    Booking.objects.bulk_create(rows, ignore_conflicts=True)
    return Booking.objects.count()


def session_for(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    assert store.session_key is not None
    return store.session_key


def main() -> None:
    therapists, bookings = int(sys.argv[1]), int(sys.argv[2])
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)
    total = grow(therapists, bookings)
    maya = TherapistProfile.objects.get(slug="maya-chen")
    service = maya.services.filter(is_active=True).order_by("duration_minutes").first()
    assert service is not None
    today = timezone.localdate(timezone.now(), maya.tz).isoformat()
    week_start = timezone.localdate(timezone.now(), maya.tz) - dt.timedelta(days=3)
    week_end = week_start + dt.timedelta(days=7)
    targets = {
        "landing": "/",
        "directory (modality + ZIP)": "/therapists/?modality=myofascial&postcode=10001",
        "therapist profile": f"/therapists/{maya.slug}/",
        "slots API, 14 days": f"/api/therapists/{maya.pk}/slots?service={service.pk}"
        f"&start={today}&days=14",
        "calendar events": f"/therapists/me/calendar/events/?start={week_start.isoformat()}"
        f"&end={week_end.isoformat()}",
        "/healthz": "/healthz",
        "therapist_session": session_for(maya.user),
        "bookings": total,
    }
    print(json.dumps(targets))


if __name__ == "__main__":
    main()
