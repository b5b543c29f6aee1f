"""Paying for a visit in a real browser, with localstripe's fake Stripe.js: a client books with
a test card, the therapist completes the visit (the balance is charged and a receipt e-mailed),
the client tips from the receipt e-mail; a second client's card is declined and they see why,
with nothing booked. Every page passes axe-core."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import Booking
from booking.selectors import available_slots
from booking.templatetags.booking_tags import slot_value
from payments.models import Payment
from tests import factories
from tests.browser.conftest import DESKTOP, check_a11y, login
from tests.payments.localstripe import DECLINED_AT_ATTACH, VISA
from therapists.models import WeeklyHours


def review_url(service, client) -> str:
    therapist = service.therapist
    slot = available_slots(
        therapist=therapist,
        service=service,
        start_date=timezone.localtime(timezone.now(), therapist.tz).date(),
        days=5,
        client=client,
    )[0]
    return (
        f"/book/review/?therapist={therapist.pk}&service={service.pk}"
        f"&starts_at={slot_value(slot).replace('+', '%2B')}"
    )


def enter_card(page, number: str) -> None:
    """localstripe's card element: five plain inputs (our script labels them)."""
    card = page.locator("#card-element")
    card.get_by_label("Card number").fill(number)
    card.get_by_label("Expiry month (MM)").fill("12")
    card.get_by_label("Expiry year (YY)").fill("34")
    card.get_by_label("Security code (CVC)").fill("123")
    card.get_by_label("Postcode").fill("10001")


def test_a_client_pays_by_card_the_therapist_completes_and_the_client_tips(
    page, browser, live_server, transactional_db, stripe_on
):
    service = factories.ServiceFactory(
        therapist__display_name="Maya Chen", therapist__min_notice_hours=30
    )
    maya = service.therapist
    for weekday in range(7):
        WeeklyHours.objects.create(
            therapist=maya, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )
    dana = factories.BookableClientFactory(user__first_name="Dana")
    sam = factories.BookableClientFactory(user__first_name="Sam")

    # --- Dana books with a card. ---------------------------------------------------------------
    login(page, dana.user.email, factories.PASSWORD)
    page.goto(review_url(service, dana))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm")
    expect(page.get_by_test_id("payment-terms")).to_contain_text("charged after the visit")
    expect(page.locator("#card-element input")).to_have_count(5)
    check_a11y(page)
    enter_card(page, VISA)
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_test_id("visit-status")).to_have_text("Confirmed")
    expect(page.get_by_test_id("visit-payment")).to_contain_text("Visa •••• 4242")
    check_a11y(page)
    booking = Booking.objects.get(client=dana)
    assert Payment.objects.get(booking=booking, action=Payment.Action.CARD).payment_method

    # --- The visit happens (it is moved into the past here: the flow cannot book the past). --
    started = timezone.now() - dt.timedelta(hours=1)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=started, ends_at=started + dt.timedelta(hours=1)
    )
    therapist_context = browser.new_context(
        viewport=DESKTOP, base_url=live_server.url, locale="en-US"
    )
    therapist_context.set_default_timeout(15_000)
    therapist = therapist_context.new_page()
    login(therapist, maya.user.email, factories.PASSWORD)
    therapist.goto(f"/therapists/visits/{booking.pk}/")
    expect(therapist.get_by_test_id("visit-money")).to_contain_text("$95.00")
    check_a11y(therapist)
    mail.outbox.clear()
    therapist.get_by_role("button", name="Mark completed").click()
    expect(therapist.get_by_role("heading", level=1)).to_have_text("Session notes")
    therapist.goto(f"/therapists/visits/{booking.pk}/")
    expect(therapist.get_by_test_id("visit-money")).to_contain_text("Balance")
    expect(therapist.get_by_test_id("total-paid")).to_have_text("$95.00")
    therapist_context.close()

    # --- Dana tips from the receipt e-mail. ---------------------------------------------------
    [receipt] = [m for m in mail.outbox if dana.user.email in m.to and "receipt" in m.subject]
    assert maya.licence_number in receipt.body
    tip_path = re.search(r"/payments/visits/\d+/tip/\S+/", receipt.body).group(0)
    page.goto(tip_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("A tip for Maya Chen")
    check_a11y(page)
    page.get_by_label("20% ($19.00)").check()
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("alert").first).to_contain_text("Thank you! Your tip goes to")
    expect(page.get_by_test_id("receipt-tip")).to_contain_text("$19.00")
    expect(page.get_by_test_id("total-paid")).to_have_text("$114.00")
    expect(page.get_by_test_id("receipt-therapist")).to_contain_text(maya.licence_number)
    check_a11y(page)
    tip = Payment.objects.get(booking=booking, action=Payment.Action.TIP)
    assert (tip.amount_cents, tip.status) == (1900, Payment.Status.SUCCEEDED)

    # --- Sam's card is declined: Sam sees why, and nothing is booked. -------------------------
    page.context.clear_cookies()
    login(page, sam.user.email, factories.PASSWORD)
    page.goto(review_url(service, sam))
    enter_card(page, DECLINED_AT_ATTACH)
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_test_id("card-errors")).to_have_text("Your card was declined.")
    expect(page.get_by_role("button", name="Confirm booking")).to_be_enabled()
    check_a11y(page)
    assert not Booking.objects.filter(client=sam).exists()
