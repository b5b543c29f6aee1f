"""How and when the client pays, said plainly on the review page, the visit page and the
booking e-mail, from the payments app's own terms through booking's checkout seam."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from booking.checkout import NoCheckout
from tests.payments.conftest import book_with_card, review_form, the_booking
from tests.payments.localstripe import VISA


def review_page(client, world) -> str:
    client.force_login(world.client.user)
    form = review_form(client, world, world.slot())
    return client.get(
        reverse("booking:review"),
        {
            "therapist": world.therapist.pk,
            "service": world.service.pk,
            "starts_at": form["starts_at"],
        },
    ).content.decode()


def visit_page(client, world) -> str:
    booking = the_booking(world)
    assert booking is not None
    return client.get(reverse("booking:detail", kwargs={"pk": booking.pk})).content.decode()


def confirmation_email(world) -> str:
    [sent] = [m for m in mail.outbox if world.client.user.email in m.to]
    return " ".join(sent.body.split())


def test_payments_off_says_pay_the_therapist_at_the_visit_everywhere(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENTS_ENABLED = False
    said = (
        "You pay your therapist at the visit, in the way you agree with them; nothing is paid "
        "online."
    )
    assert said in review_page(client, world)

    form = review_form(client, world, world.slot())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("booking:review"), form)

    assert said in visit_page(client, world)
    assert f"How you pay: {said}" in confirmation_email(world)


def test_card_terms_say_nothing_is_taken_now_and_the_price_after_the_visit(
    client, world, stripe_on, django_capture_on_commit_callbacks
):
    page = review_page(client, world)
    assert (
        "You pay by card: your card is saved when you confirm, and $95.00 is charged after "
        "the visit. Nothing is taken now."
    ) in page

    with django_capture_on_commit_callbacks(execute=True):
        book_with_card(client, world, stripe_on, VISA)

    booked = "the card you saved when you booked is charged $95.00 after the visit"
    assert booked in visit_page(client, world)
    assert booked in confirmation_email(world)


def test_deposit_terms_say_the_deposit_now_and_the_rest_after(
    client, world, stripe_on, django_capture_on_commit_callbacks
):
    world.deposit_policy(20)
    assert (
        "a deposit of $19.00 is taken when you confirm; the rest, $76.00, is charged to the "
        "same card after the visit."
    ) in review_page(client, world)

    with django_capture_on_commit_callbacks(execute=True):
        book_with_card(client, world, stripe_on, VISA)

    booked = "a deposit of $19.00 was taken when you booked; the rest, $76.00"
    assert booked in visit_page(client, world)
    assert booked in confirmation_email(world)


def test_without_a_payments_app_booking_says_nothing_about_money(world):
    assert NoCheckout().expectation(therapist=world.therapist, service=world.service) == ""
