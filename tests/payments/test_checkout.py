"""Booking with a card, against a real localstripe: the card saved, a deposit held then taken,
a declined card (at saving and at charging) that books nothing and says why, 3-D Secure, and
the page when payments are off or Stripe does not answer."""

from __future__ import annotations

import time

from django.urls import reverse

from booking.models import Booking
from booking.services import booking_create
from payments.models import BookingTerms, Checkout, Customer, Payment
from tests import factories
from tests.payments.conftest import book_with_card, review_form, the_booking
from tests.payments.localstripe import (
    DECLINED_AT_ATTACH,
    DECLINED_AT_CHARGE,
    NEEDS_AUTHENTICATION,
    VISA,
    SilentServer,
)


def test_it_saves_the_card_and_books(client, world, stripe_on):
    response, _form = book_with_card(client, world, stripe_on, VISA)

    booking = the_booking(world)
    assert booking is not None
    assert response.status_code == 302
    assert response.url == reverse("booking:detail", kwargs={"pk": booking.pk})
    card = Payment.objects.get(booking=booking, action=Payment.Action.CARD)
    assert card.status == Payment.Status.SUCCEEDED
    customer = Customer.objects.get(client=world.client)
    assert card.payment_method == customer.payment_method
    assert (customer.card_brand, customer.card_last4) == ("visa", "4242")
    assert BookingTerms.objects.get(booking=booking).price_cents == 9500
    # Nothing is charged at booking under the card policy.
    assert stripe_on.charges(customer.stripe_id) == []
    page = client.get(reverse("booking:detail", kwargs={"pk": booking.pk})).content.decode()
    assert "Visa •••• 4242" in page
    assert "charged after the visit" in page


def test_it_holds_the_deposit_then_takes_it_once_booked(
    client, world, stripe_on, django_capture_on_commit_callbacks
):
    world.deposit_policy(20)

    with django_capture_on_commit_callbacks(execute=True):
        response, _form = book_with_card(client, world, stripe_on, VISA)

    booking = the_booking(world)
    assert booking is not None, response.content.decode()[:2000]
    deposit = Payment.objects.get(booking=booking, action=Payment.Action.DEPOSIT)
    assert (deposit.amount_cents, deposit.status) == (1900, Payment.Status.SUCCEEDED)
    intent = stripe_on.intent(deposit.stripe_id)
    assert (intent["status"], intent["amount"], intent["capture_method"]) == (
        "succeeded",
        1900,
        "manual",
    )
    assert Checkout.objects.get(booking=booking).status == Checkout.Status.USED


def test_a_card_declined_when_saved_books_nothing_and_says_why(client, world, stripe_on):
    client.force_login(world.client.user)
    form = review_form(client, world, world.slot())
    setup = client.post(reverse("payments:checkout_setup"), form).json()

    declined = stripe_on.confirm_setup(setup["client_secret"], DECLINED_AT_ATTACH)

    # What Stripe.js hands the page's script, which shows it under the card.
    assert declined.status_code == 402
    assert declined.json()["error"]["message"] == "Your card was declined."
    # A page that posts anyway (no script, a forged form) books nothing either.
    form["setup_intent"] = setup["client_secret"].split("_secret_")[0]
    page = client.post(reverse("booking:review"), form)
    assert page.status_code == 200
    assert "Your card could not be saved" in page.content.decode()
    assert not Booking.objects.exists()


def test_a_deposit_declined_at_charge_books_nothing_and_says_why(client, world, stripe_on):
    world.deposit_policy(20)

    response, _form = book_with_card(client, world, stripe_on, DECLINED_AT_CHARGE)

    assert response.status_code == 200
    assert "Your card was declined. Your visit is not booked" in response.content.decode()
    assert not Booking.objects.exists()
    assert not Payment.objects.exists()


def test_3d_secure_for_a_deposit_is_asked_in_the_browser_then_books(
    client, world, stripe_on, django_capture_on_commit_callbacks
):
    world.deposit_policy(20)
    response, form = book_with_card(client, world, stripe_on, NEEDS_AUTHENTICATION)

    # The page comes back asking the browser to authenticate the deposit; no booking yet.
    assert response.status_code == 200
    panel = response.context["payment_panel"].context
    assert panel["action_secret"]
    assert 'data-action-secret="' in response.content.decode()
    assert not Booking.objects.exists()

    assert stripe_on.authenticate(panel["action_secret"]).status_code == 200
    form.update(card_choice="saved", payment_intent=panel["action_secret"].split("_secret_")[0])
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("booking:review"), form)

    booking = the_booking(world)
    assert booking is not None and done.status_code == 302
    deposit = Payment.objects.get(booking=booking, action=Payment.Action.DEPOSIT)
    assert deposit.status == Payment.Status.SUCCEEDED


def test_a_booking_refused_after_the_deposit_lets_the_deposit_go(client, world, stripe_on):
    world.deposit_policy(20)
    client.force_login(world.client.user)
    slot = world.slot()
    form = review_form(client, world, slot)
    setup = client.post(reverse("payments:checkout_setup"), form).json()
    form["setup_intent"] = stripe_on.confirm_setup(setup["client_secret"], VISA).json()["id"]
    # Someone else takes the time while the client types their card.
    booking_create(
        client=factories.BookableClientFactory(),
        therapist=world.therapist,
        service=world.service,
        starts_at=slot,
    )

    page = client.post(reverse("booking:review"), form)

    assert "that time was just taken" in page.content.decode().lower()
    checkout = Checkout.objects.get(token=form["checkout"])
    assert checkout.status == Checkout.Status.RELEASED
    held = [
        i
        for i in stripe_on.api("GET", "/v1/payment_intents", params={"limit": 100}).json()["data"]
        if i["metadata"].get("checkout") == form["checkout"]
    ]
    assert held and all(i["status"] == "canceled" for i in held)


def test_it_books_with_the_saved_card_without_typing_it_again(client, world, stripe_on):
    book_with_card(client, world, stripe_on, VISA)
    first = the_booking(world)

    form = review_form(client, world, world.slot(index=8))
    assert (
        'value="saved"'
        in client.get(
            reverse("booking:review"),
            {
                "therapist": world.therapist.pk,
                "service": world.service.pk,
                "starts_at": form["starts_at"],
            },
        ).content.decode()
    )
    form["card_choice"] = "saved"
    response = client.post(reverse("booking:review"), form)

    assert response.status_code == 302
    second = Booking.objects.exclude(pk=first.pk).get(client=world.client)
    assert Payment.objects.get(booking=second, action=Payment.Action.CARD).payment_method == (
        Customer.objects.get(client=world.client).payment_method
    )


def test_stripe_not_answering_books_nothing_says_so_and_does_not_hang(
    client, world, stripe_on, settings
):
    book_with_card(client, world, stripe_on, VISA)  # a saved card, made while Stripe was up
    silent = SilentServer()
    settings.STRIPE_API_BASE = silent.url
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    try:
        form = review_form(client, world, world.slot(index=8))
        form["card_choice"] = "saved"
        started = time.monotonic()
        world.deposit_policy(20)  # the deposit needs Stripe
        page = client.post(reverse("booking:review"), form)
        took = time.monotonic() - started
        setup = client.post(reverse("payments:checkout_setup"), form)
    finally:
        silent.close()

    assert page.status_code == 200
    assert (
        "We could not reach our card processor, so your visit is not booked yet"
        in page.content.decode()
    )
    assert Booking.objects.filter(client=world.client).count() == 1  # only the first
    assert took < 5
    assert setup.status_code == 503
    assert "could not reach" in setup.json()["error"]


def test_with_payments_off_the_page_says_pay_at_the_visit_and_books_without_a_card(
    client, world, settings
):
    settings.PAYMENTS_ENABLED = False
    client.force_login(world.client.user)
    form = review_form(client, world, world.slot())
    page = client.get(
        reverse("booking:review"),
        {
            "therapist": world.therapist.pk,
            "service": world.service.pk,
            "starts_at": form["starts_at"],
        },
    ).content.decode()
    assert "Pay your therapist at the visit." in page
    assert "js.stripe.com" not in page

    response = client.post(reverse("booking:review"), form)

    booking = the_booking(world)
    assert response.status_code == 302 and booking is not None
    assert not Payment.objects.exists()
    assert not BookingTerms.objects.exists()


def test_the_terms_are_on_the_profile_the_review_page_and_the_confirmation(
    client, world, stripe_on
):
    world.deposit_policy(20)
    profile = client.get(world.therapist.get_absolute_url()).content.decode()
    assert "A deposit of 20% of the price is taken when you book" in profile
    assert "Cancelling within 24 hours of the visit costs 50% of the price." in profile

    client.force_login(world.client.user)
    form = review_form(client, world, world.slot())
    review = client.get(
        reverse("booking:review"),
        {
            "therapist": world.therapist.pk,
            "service": world.service.pk,
            "starts_at": form["starts_at"],
        },
    ).content.decode()
    assert "A deposit of $19.00 (20%) is taken when you book" in review
    assert f"{stripe_on.url}/js.stripe.com/v3/" in review

    book_with_card(client, world, stripe_on, VISA)
    confirmation = client.get(
        reverse("booking:detail", kwargs={"pk": the_booking(world).pk})
    ).content.decode()
    assert "Not being there when your therapist arrives costs $95.00 (100%)." in confirmation
