"""Demo therapists around New York: approved, with photos, services, hours and time off.

Idempotent: every run brings the same therapists back to the same state (time off is
relative to today, so it is rebuilt each run)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import TypedDict

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from accounts.demo import ensure_user
from accounts.models import User
from core.geo import lookup_postcode
from therapists.models import Modality, Service, TherapistProfile, TimeOff
from therapists.services import time_off_add_block, time_off_add_days, weekly_hours_replace

WEEKDAYS = range(5)


class _DemoTherapist(TypedDict):
    email: str
    first: str
    last: str
    slug: str
    modalities: list[str]
    postcode: str
    radius: int
    years: int
    languages: str
    bio: str
    hours: list[tuple[int, str, str]]  # (weekday, from, until)
    price: Decimal
    colour: tuple[int, int, int]


DEMO_THERAPISTS: list[_DemoTherapist] = [
    {
        "email": "maya@homeknots.example",
        "first": "Maya",
        "last": "Chen",
        "slug": "maya-chen",
        "modalities": ["myofascial", "neuromuscular"],
        "postcode": "10001",
        "radius": 12,
        "years": 11,
        "languages": "English, Mandarin",
        "bio": "I work with people whose neck and shoulder pain has outlasted every pillow they "
        "tried. We start gently, and you set the pressure.",
        "hours": [(d, "09:00", "12:00") for d in WEEKDAYS]
        + [(d, "14:00", "19:00") for d in WEEKDAYS],
        "price": Decimal("95"),
        "colour": (29, 92, 87),
    },
    {
        "email": "jordan@homeknots.example",
        "first": "Jordan",
        "last": "Reyes",
        "slug": "jordan-reyes",
        "modalities": ["sports"],
        "postcode": "11201",
        "radius": 10,
        "years": 6,
        "languages": "English, Spanish",
        "bio": "Former college sprinter. I help runners, climbers and weekend footballers "
        "recover between sessions and move freely again.",
        "hours": [(d, "07:00", "13:00") for d in range(1, 6)],
        "price": Decimal("85"),
        "colour": (122, 74, 0),
    },
    {
        "email": "priya@homeknots.example",
        "first": "Priya",
        "last": "Natarajan",
        "slug": "priya-natarajan",
        "modalities": ["clinical", "myofascial"],
        "postcode": "10025",
        "radius": 15,
        "years": 14,
        "languages": "English, Tamil, Hindi",
        "bio": "I look at how you stand and move before I touch a muscle, and I am happy to "
        "work alongside your physiotherapist or doctor.",
        "hours": [
            (0, "10:00", "18:00"),
            (2, "10:00", "18:00"),
            (3, "10:00", "18:00"),
            (5, "09:00", "13:00"),
        ],
        "price": Decimal("110"),
        "colour": (73, 56, 130),
    },
    {
        "email": "sam@homeknots.example",
        "first": "Sam",
        "last": "O'Brien",
        "slug": "sam-obrien",
        "modalities": ["neuromuscular", "sports"],
        "postcode": "11215",
        "radius": 12,
        "years": 8,
        "languages": "English",
        "bio": "Evening appointments for people who sit at a desk all day: lower back, hips, "
        "wrists and the headaches that come with them.",
        "hours": [(d, "12:00", "20:00") for d in WEEKDAYS],
        "price": Decimal("90"),
        "colour": (20, 90, 140),
    },
    {
        "email": "lena@homeknots.example",
        "first": "Lena",
        "last": "Petrova",
        "slug": "lena-petrova",
        "modalities": ["clinical"],
        "postcode": "10011",
        "radius": 8,
        "years": 19,
        "languages": "English, Russian",
        "bio": "Clinical trigger point work for chronic pain and fibromyalgia, with light, "
        "careful pressure and plenty of time to talk.",
        "hours": [(d, "09:00", "17:00") for d in range(1, 5)],
        "price": Decimal("120"),
        "colour": (130, 40, 60),
    },
    {
        "email": "marcus@homeknots.example",
        "first": "Marcus",
        "last": "Hill",
        "slug": "marcus-hill",
        "modalities": ["myofascial", "sports"],
        "postcode": "07030",
        "radius": 20,
        "years": 9,
        "languages": "English",
        "bio": "Hoboken, Jersey City and lower Manhattan. Musicians and trades people welcome: "
        "repetitive strain is my daily work.",
        "hours": [(d, "08:00", "12:00") for d in range(6)]
        + [(d, "15:00", "18:00") for d in range(6)],
        "price": Decimal("80"),
        "colour": (40, 100, 40),
    },
    {
        "email": "ana@homeknots.example",
        "first": "Ana",
        "last": "Souza",
        "slug": "ana-souza",
        "modalities": ["neuromuscular", "clinical"],
        "postcode": "10003",
        "radius": 10,
        "years": 5,
        "languages": "English, Portuguese",
        "bio": "Relaxation-first sessions for stress and tension headaches; we work the front "
        "of the body too, not just the back.",
        "hours": [(d, "10:00", "16:00") for d in (0, 1, 3, 4, 6)],
        "price": Decimal("88"),
        "colour": (90, 60, 20),
    },
]


def demo_photo(initials: str, colour: tuple[int, int, int]) -> bytes:
    """A plain portrait placeholder: initials on a coloured disc. Same input, same bytes."""
    size = 600
    image = Image.new("RGB", (size, size), (232, 243, 241))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 60, size - 60, size - 60), fill=colour)
    font = ImageFont.load_default(size=190)
    box = draw.textbbox((0, 0), initials, font=font)
    x = (size - (box[2] - box[0])) / 2 - box[0]
    y = (size - (box[3] - box[1])) / 2 - box[1]
    draw.text((x, y), initials, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _time(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def seed(*, password: str) -> list[tuple[str, str]]:
    modalities = {m.slug: m for m in Modality.objects.all()}
    today = timezone.localdate()
    logins: list[tuple[str, str]] = []
    for n, spec in enumerate(DEMO_THERAPISTS):
        user = ensure_user(
            email=spec["email"],
            password=password,
            role=User.Role.THERAPIST,
            first_name=spec["first"],
            last_name=spec["last"],
        )
        point = lookup_postcode(spec["postcode"])
        profile, _ = TherapistProfile.objects.update_or_create(
            user=user,
            defaults={
                "slug": spec["slug"],
                "display_name": f"{spec['first']} {spec['last']}",
                "bio": spec["bio"],
                "years_of_practice": spec["years"],
                "licence_number": f"NY-LMT-{27000 + n * 137}",
                "languages": spec["languages"],
                "accepts_new_clients": True,
                "approval": TherapistProfile.Approval.APPROVED,
                "approved_at": timezone.now(),
                "time_zone": "America/New_York",
                "postcode": spec["postcode"],
                "latitude": Decimal(f"{point.latitude:.6f}") if point else None,
                "longitude": Decimal(f"{point.longitude:.6f}") if point else None,
                "radius_km": spec["radius"],
                "min_notice_hours": 4,
                "max_visits_per_day": 5,
                "auto_confirm": n % 3 != 2,  # a few therapists confirm each booking by hand
            },
        )
        profile.modalities.set([modalities[slug] for slug in spec["modalities"]])

        photo_name = f"therapists/demo-{spec['slug']}.jpg"
        storage = profile.photo.storage
        if not storage.exists(photo_name):
            initials = spec["first"][0] + spec["last"][0]
            storage.save(photo_name, ContentFile(demo_photo(initials, spec["colour"])))
        if profile.photo.name != photo_name:
            profile.photo.name = photo_name
            profile.save(update_fields=["photo"])

        # Services: 30/60/90 minutes in the first modality, 60 in the others.
        wanted: list[tuple[str, int, Decimal]] = []
        for i, slug in enumerate(spec["modalities"]):
            lengths = (30, 60, 90) if i == 0 else (60,)
            for minutes in lengths:
                price = (spec["price"] * minutes / 60 + (10 if minutes == 30 else 0)).quantize(
                    Decimal("1")
                )
                wanted.append((slug, minutes, price))
        keep = []
        for slug, minutes, price in wanted:
            service, _ = Service.objects.update_or_create(
                therapist=profile,
                modality=modalities[slug],
                duration_minutes=minutes,
                defaults={"price": price, "is_active": True, "name": ""},
            )
            keep.append(service.pk)
        Service.objects.filter(therapist=profile).exclude(pk__in=keep).update(is_active=False)

        weekly_hours_replace(
            therapist=profile,
            ranges=[(d, _time(a), _time(b)) for d, a, b in spec["hours"]],
        )

        # Time off relative to today: rebuilt so the demo always has some ahead.
        TimeOff.objects.filter(therapist=profile).delete()
        if n % 2 == 0:
            day = today + dt.timedelta(days=3 + n)
            time_off_add_days(
                therapist=profile, first_day=day, last_day=day, reason="Continuing education"
            )
        else:
            day = today + dt.timedelta(days=2 + n)
            start = dt.datetime.combine(day, dt.time(13), tzinfo=profile.tz)
            time_off_add_block(
                therapist=profile,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=3),
                reason="Dentist",
            )
        logins.append(("therapist", spec["email"]))
    return logins
