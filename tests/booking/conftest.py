"""Fixtures for the booking flow tests: a therapist who works every day, all day, with a
minimum notice beyond the cancellation cut-off (so new bookings can still be changed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from clients.models import ClientProfile, Intake
from tests import factories
from therapists.models import Service, TherapistProfile, WeeklyHours


def open_all_week(therapist: TherapistProfile) -> None:
    for weekday in range(7):
        WeeklyHours.objects.create(
            therapist=therapist, weekday=weekday, start_time=dt.time(7), end_time=dt.time(21)
        )


@dataclass
class Setup:
    therapist: TherapistProfile
    service: Service
    client: ClientProfile
    intake: Intake


@pytest.fixture
def setup(db) -> Setup:
    service = factories.ServiceFactory(therapist__min_notice_hours=30)
    open_all_week(service.therapist)
    client = factories.ClientProfileFactory()
    intake = factories.IntakeFactory(client=client)
    return Setup(therapist=service.therapist, service=service, client=client, intake=intake)


def first_slot(setup: Setup, *, client: ClientProfile | None = None, index: int = 0):
    from django.utils import timezone

    from booking.selectors import available_slots

    therapist = setup.therapist
    slots = available_slots(
        therapist=therapist,
        service=setup.service,
        start_date=timezone.localtime(timezone.now(), therapist.tz).date(),
        days=5,
        client=client or setup.client,
    )
    return slots[index]
