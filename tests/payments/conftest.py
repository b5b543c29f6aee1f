"""Fixtures for the payments tests: a client who can book with a therapist who works all week,
and the booking flow driven as the page's script drives it. (``localstripe`` and ``stripe_on``
are in tests/conftest.py: the browser journeys use them too.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.selectors import available_slots
from booking.templatetags.booking_tags import slot_value
from clients.models import ClientProfile
from payments.models import PaymentPolicy
from tests import factories
from tests.booking.conftest import open_all_week
from tests.payments.localstripe import LocalStripe
from therapists.models import Service, TherapistProfile


@dataclass
class World:
    therapist: TherapistProfile
    service: Service
    client: ClientProfile

    def slot(self, index: int = 0) -> dt.datetime:
        therapist = self.therapist
        return available_slots(
            therapist=therapist,
            service=self.service,
            start_date=timezone.localtime(timezone.now(), therapist.tz).date(),
            days=5,
            client=self.client,
        )[index]

    def deposit_policy(self, percent: int = 20) -> None:
        PaymentPolicy.objects.update_or_create(
            therapist=self.therapist,
            defaults={"mode": PaymentPolicy.Mode.DEPOSIT, "deposit_percent": percent},
        )


@pytest.fixture
def world(db) -> World:
    service = factories.ServiceFactory(therapist__min_notice_hours=30)
    open_all_week(service.therapist)
    client = factories.BookableClientFactory()
    return World(therapist=service.therapist, service=service, client=client)


def review_form(http: Client, world: World, starts_at: dt.datetime) -> dict[str, str]:
    """The review page's form as the browser would post it (the checkout token from the page)."""
    page = http.get(
        reverse("booking:review"),
        {
            "therapist": world.therapist.pk,
            "service": world.service.pk,
            "starts_at": slot_value(starts_at),
        },
    )
    assert page.status_code == 200
    token = page.context["payment_panel"].context.get("token", "")
    return {
        "therapist": str(world.therapist.pk),
        "service": str(world.service.pk),
        "starts_at": slot_value(starts_at),
        "checkout": token,
        "card_choice": "new",
        "setup_intent": "",
    }


def book_with_card(
    http: Client,
    world: World,
    localstripe: LocalStripe,
    number: str,
    *,
    index: int = 0,
    captured: object = None,
):
    """The whole booking flow with a card, as the page's script drives it: ask for a
    SetupIntent, confirm it with the card (Stripe.js), post the form. Returns (response, form)."""
    http.force_login(world.client.user)
    form = review_form(http, world, world.slot(index))
    setup = http.post(reverse("payments:checkout_setup"), form)
    assert setup.status_code == 200, setup.content
    confirmed = localstripe.confirm_setup(setup.json()["client_secret"], number)
    if confirmed.status_code == 200:
        form["setup_intent"] = confirmed.json()["id"]
    response = http.post(reverse("booking:review"), form)
    return response, form


def the_booking(world: World) -> Booking | None:
    return Booking.objects.filter(client=world.client).first()
