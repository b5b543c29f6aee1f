"""A business at size, fast: rows written with ``bulk_create`` straight into every table the
admin lists, for the admin benchmark and the query-count tests (``manage.py seed_load``).

This is test data, not a way to book: it goes round the services on purpose (no e-mails, no
rules, no locks) and is never run on a real database. The shape is plausible: each therapist
has services, weekly hours and about a year of visits, mostly completed, a few cancelled or
missed, some in the coming weeks; clients have an intake, some feedback and notes, payments.
No two visits of a therapist overlap (PostgreSQL's exclusion constraint would refuse them).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from aftercare.models import BookingSeries, Feedback, Reminder, SeriesVisit, SessionNote
from backoffice.models import AuditEntry
from booking.models import Booking, BookingEvent
from clients.models import ClientProfile, Intake, IntakeAccessLog, PainArea
from core.models import Email
from payments.models import Customer, Payment, PaymentPolicy, Refund, WebhookEvent
from therapists.models import (
    DateOverride,
    Modality,
    Service,
    TherapistProfile,
    TimeOff,
    WeeklyHours,
)

FULL = {"therapists": 200, "clients": 20_000, "bookings": 200_000}
BATCH = 2000
SLOTS_PER_DAY = 4
PASSWORD = "load-test-password-2026"

M = TypeVar("M", bound=models.Model)


@dataclass
class Loaded:
    tag: str
    counts: dict[str, int] = field(default_factory=dict)


def _bulk(model: type[M], rows: list[M], counts: dict[str, int]) -> list[M]:
    created = model._default_manager.bulk_create(rows, batch_size=BATCH)
    counts[model._meta.label] = counts.get(model._meta.label, 0) + len(created)
    return created


def seed_load(
    *,
    therapists: int,
    clients: int,
    bookings: int,
    tag: str = "load",
    seed: int = 2026,
    now: dt.datetime | None = None,
) -> Loaded:
    """Write ``therapists``, ``clients`` and ``bookings`` (and what goes with them) in one
    transaction. ``tag`` makes the e-mails and slugs unique, so it can run more than once."""
    now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    loaded = Loaded(tag=tag)
    counts = loaded.counts
    password = make_password(PASSWORD)
    modalities = list(Modality.objects.all())
    therapists = max(therapists, 1)
    clients = max(clients, 1)
    with transaction.atomic():
        t_users = _bulk(
            User,
            [
                User(
                    email=f"{tag}-t{i}@load.example",
                    first_name=f"Therapist{i}",
                    last_name=tag.title(),
                    role=User.Role.THERAPIST,
                    password=password,
                )
                for i in range(therapists)
            ],
            counts,
        )
        profiles = _bulk(
            TherapistProfile,
            [
                TherapistProfile(
                    user=u,
                    slug=f"{tag}-therapist-{i}",
                    display_name=f"Therapist {i} {tag.title()}",
                    licence_number=f"LMT-{tag}-{i}",
                    approval=TherapistProfile.Approval.APPROVED,
                    approved_at=now,
                    postcode="10001",
                    latitude=Decimal("40.750742"),
                    longitude=Decimal("-73.996530"),
                    radius_km=20,
                    min_notice_hours=0,
                )
                for i, u in enumerate(t_users)
            ],
            counts,
        )
        through = TherapistProfile.modalities.through
        _bulk(
            through,
            [
                through(therapistprofile_id=p.pk, modality_id=modalities[i % len(modalities)].pk)
                for i, p in enumerate(profiles)
            ],
            counts,
        )
        services = _bulk(
            Service,
            [
                Service(
                    therapist=p,
                    modality=modalities[(i + k) % len(modalities)],
                    duration_minutes=60 if k == 0 else 90,
                    price=Decimal(90 + 10 * (i % 5) + 40 * k),
                )
                for i, p in enumerate(profiles)
                for k in range(2)
            ],
            counts,
        )
        _bulk(
            WeeklyHours,
            [
                WeeklyHours(therapist=p, weekday=d, start_time=dt.time(9), end_time=dt.time(17))
                for p in profiles
                for d in range(5)
            ],
            counts,
        )
        _bulk(
            TimeOff,
            [
                TimeOff(
                    therapist=p,
                    starts_at=now + dt.timedelta(days=60),
                    ends_at=now + dt.timedelta(days=67),
                    reason="Holiday",
                )
                for p in profiles[::4]
            ],
            counts,
        )
        _bulk(
            DateOverride,
            [
                DateOverride(
                    therapist=p,
                    date=(now + dt.timedelta(days=45)).date(),
                    start_time=dt.time(10),
                    end_time=dt.time(14),
                )
                for p in profiles[::4]
            ],
            counts,
        )
        _bulk(
            PaymentPolicy,
            [
                PaymentPolicy(therapist=p, mode=PaymentPolicy.Mode.DEPOSIT, deposit_percent=20)
                for p in profiles[::3]
            ],
            counts,
        )

        c_users = _bulk(
            User,
            [
                User(
                    email=f"{tag}-c{i}@load.example",
                    first_name=f"Client{i}",
                    last_name=tag.title(),
                    role=User.Role.CLIENT,
                    password=password,
                )
                for i in range(clients)
            ],
            counts,
        )
        client_rows = _bulk(
            ClientProfile,
            [
                ClientProfile(
                    user=u,
                    phone=f"+1 212 555 {i % 10000:04d}",
                    street=f"{i + 1} Load Street",
                    city="New York",
                    postcode="10001",
                    latitude=Decimal("40.748400"),
                    longitude=Decimal("-73.994000"),
                )
                for i, u in enumerate(c_users)
            ],
            counts,
        )
        intakes = _bulk(
            Intake,
            [
                Intake(
                    client=c,
                    version=1,
                    reasons=[Intake.Reason.BACK_NECK],
                    pressure=Intake.Pressure.MEDIUM,
                    screening_none=True,
                    consent_treatment=True,
                    consent_data=True,
                    consented_at=now,
                )
                for c in client_rows
            ],
            counts,
        )
        _bulk(
            PainArea,
            [
                PainArea(intake=intake, region="upper-back-right", intensity=1 + i % 9)
                for i, intake in enumerate(intakes)
            ],
            counts,
        )
        _bulk(
            IntakeAccessLog,
            [
                IntakeAccessLog(
                    client=c,
                    intake=intakes[i],
                    viewer=t_users[i % therapists],
                    context="load",
                )
                for i, c in enumerate(client_rows)
                if i % 5 == 0
            ],
            counts,
        )
        _bulk(
            Customer,
            [
                Customer(
                    client=c,
                    stripe_id=f"cus_{tag}_{i}",
                    payment_method=f"pm_{tag}_{i}",
                    card_brand="visa",
                    card_last4="4242",
                )
                for i, c in enumerate(client_rows)
                if i % 2 == 0
            ],
            counts,
        )

        # Visits: therapist by therapist, in free slots one after another back from the
        # future, so no two of one therapist overlap; about one in eight is still to come.
        per_therapist = max(bookings // therapists, 1)
        days = per_therapist // SLOTS_PER_DAY + 1
        first_day = now - dt.timedelta(days=int(days * 0.88))
        booking_rows: list[Booking] = []
        # A client is in one place at a time: PostgreSQL refuses a client's overlapping active
        # visits too. Slots are the same four times a day for everyone, so a clash is a client
        # booked twice at the same start.
        taken: set[tuple[int, dt.datetime]] = set()
        for ti, profile in enumerate(profiles):
            count = per_therapist + (1 if ti < bookings - per_therapist * therapists else 0)
            for j in range(min(count, bookings - len(booking_rows))):
                starts = first_day + dt.timedelta(
                    days=j // SLOTS_PER_DAY, hours=13 + 2 * (j % SLOTS_PER_DAY) - now.hour
                )
                ci = (ti * 97 + rng.randrange(60)) % clients
                service = services[2 * ti + (j % 3 == 0)]
                if starts >= now:
                    status = (
                        Booking.Status.PENDING if rng.random() < 0.1 else Booking.Status.CONFIRMED
                    )
                    for step in range(clients):
                        if ((ci + step) % clients, starts) not in taken:
                            ci = (ci + step) % clients
                            break
                    else:
                        status = Booking.Status.CANCELLED
                    if status != Booking.Status.CANCELLED:
                        taken.add((ci, starts))
                else:
                    r = rng.random()
                    status = (
                        Booking.Status.CANCELLED
                        if r < 0.08
                        else Booking.Status.NO_SHOW
                        if r < 0.11
                        else Booking.Status.COMPLETED
                    )
                booking_rows.append(
                    Booking(
                        client=client_rows[ci],
                        therapist=profile,
                        service=service,
                        intake=intakes[ci],
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(minutes=service.duration_minutes),
                        status=status,
                        price=service.price,
                        address=f"{ci + 1} Load Street, New York 10001",
                        latitude=Decimal("40.748400"),
                        longitude=Decimal("-73.994000"),
                    )
                )
        visits = _bulk(Booking, booking_rows, counts)
        _bulk(
            BookingEvent,
            [
                BookingEvent(
                    booking=b, action="created", to_status=b.status, to_starts_at=b.starts_at
                )
                for b in visits
            ],
            counts,
        )
        completed = [b for b in visits if b.status == Booking.Status.COMPLETED]
        _bulk(
            SessionNote,
            [
                SessionNote(
                    booking=b,
                    therapist_id=b.therapist_id,
                    client_id=b.client_id,
                    treated_areas=["upper-back-right"],
                    trigger_points="Upper trapezius",
                    pressure_used=5,
                )
                for b in completed[::5]
            ],
            counts,
        )
        _bulk(
            Feedback,
            [
                Feedback(
                    booking=b,
                    client_id=b.client_id,
                    therapist_id=b.therapist_id,
                    soreness=rng.randrange(11),
                    pressure=rng.choice(list(Feedback.Pressure.values)),
                    rating=rng.randrange(1, 6),
                    comment="Good visit." if i % 3 == 0 else "",
                )
                for i, b in enumerate(completed[1::5])
            ],
            counts,
        )
        _bulk(
            Reminder,
            [
                Reminder(
                    client_id=b.client_id,
                    booking=b,
                    kind=Reminder.Kind.WATER,
                    status=Reminder.Status.SENT,
                    due_at=b.ends_at,
                    next_attempt_at=b.ends_at,
                    sent_at=b.ends_at,
                    subject="Drink water today",
                )
                for b in completed[::4]
            ],
            counts,
        )
        payments = _bulk(
            Payment,
            [
                Payment(
                    booking=b,
                    action=Payment.Action.BALANCE,
                    status=Payment.Status.SUCCEEDED,
                    amount_cents=int(b.price * 100),
                    stripe_id=f"pi_{tag}_{b.pk}",
                    idempotency_key=f"{tag}-balance-{b.pk}",
                )
                for b in completed[::2]
            ],
            counts,
        )
        _bulk(
            Refund,
            [
                Refund(
                    payment=p,
                    amount_cents=1000,
                    status=Refund.Status.SUCCEEDED,
                    idempotency_key=f"{tag}-refund-{p.pk}",
                    reason="Goodwill",
                )
                for p in payments[::50]
            ],
            counts,
        )
        _bulk(
            Email,
            [
                Email(
                    kind="booking_event",
                    to=f"{tag}-c{i % clients}@load.example",
                    facts={"booking": b.pk},
                    status=Email.Status.SENT,
                    due_at=b.created_at or now,
                    next_attempt_at=b.created_at or now,
                    sent_at=b.created_at or now,
                    key=f"{tag}-email-{b.pk}",
                )
                for i, b in enumerate(visits[::10])
            ],
            counts,
        )
        _bulk(
            WebhookEvent,
            [
                WebhookEvent(
                    event_id=f"evt_{tag}_{p.pk}",
                    type="payment_intent.succeeded",
                    payload={"id": p.stripe_id},
                    processed_at=now,
                    outcome="applied",
                )
                for p in payments[::20]
            ],
            counts,
        )
        series = _bulk(
            BookingSeries,
            [
                BookingSeries(
                    client_id=b.client_id,
                    therapist_id=b.therapist_id,
                    service_id=b.service_id,
                    interval_weeks=2,
                    visit_count=4,
                )
                for b in visits[::200]
            ],
            counts,
        )
        _bulk(
            SeriesVisit,
            [SeriesVisit(series=s, booking=b) for s, b in zip(series, visits[::200], strict=True)],
            counts,
        )
        staff = User.objects.filter(is_staff=True).order_by("pk").first()
        _bulk(
            AuditEntry,
            [
                AuditEntry(
                    actor=staff,
                    actor_email=staff.email if staff else "",
                    action=AuditEntry.Action.CLIENT_EXPORT,
                    subject_type="clients.clientprofile",
                    subject_id=c.pk,
                )
                for c in client_rows[::100]
            ],
            counts,
        )
    return loaded


def scaled(scale: float) -> dict[str, Any]:
    return {name: max(round(n * scale), 1) for name, n in FULL.items()}
