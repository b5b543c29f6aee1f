"""After the visit, against a real localstripe: the balance charged off-session with a receipt
and a tip link, the tip, a no-show fee, a late-cancel fee (and none when the therapist
cancels), full and partial refunds, a card declined at charge."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from booking.models import Booking
from booking.services import booking_cancel, booking_complete, booking_mark_no_show
from payments.links import receipt_url
from payments.models import Customer, Payment, Refund
from payments.services import PaymentRefused, payment_refund
from tests import factories
from tests.booking.conftest import open_all_week
from tests.payments.conftest import World, book_with_card, the_booking
from tests.payments.localstripe import DECLINED_AT_CHARGE, VISA


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run ``fn`` and then what it left for after commit (tasks run eagerly in tests)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def booked(client, world: World, stripe_on, commit, number: str = VISA, index: int = 0) -> Booking:
    commit(book_with_card, client, world, stripe_on, number, index=index)
    booking = the_booking(world)
    assert booking is not None
    return booking


def after_start(booking: Booking) -> dt.datetime:
    return booking.starts_at + dt.timedelta(minutes=30)


def charged(stripe_on, world: World) -> list[int]:
    customer = Customer.objects.get(client=world.client)
    return sorted(c["amount"] for c in stripe_on.charges(customer.stripe_id) if c["paid"])


def receipts(world: World) -> list:
    return [m for m in mail.outbox if world.client.user.email in m.to and "receipt" in m.subject]


def test_completing_the_visit_charges_the_balance_and_emails_a_receipt_with_a_tip_link(
    client, world, stripe_on, commit
):
    booking = booked(client, world, stripe_on, commit)
    mail.outbox.clear()

    commit(booking_complete, booking=booking, actor=world.therapist.user, now=after_start(booking))

    balance = Payment.objects.get(booking=booking, action=Payment.Action.BALANCE)
    assert (balance.amount_cents, balance.status) == (9500, Payment.Status.SUCCEEDED)
    assert charged(stripe_on, world) == [9500]
    [receipt] = receipts(world)
    body = receipt.body
    assert "Myofascial" in body and world.therapist.licence_number in body
    assert "Total paid: $95.00" in body
    assert re.search(r"/payments/visits/\d+/tip/[^/\s]+/", body)


def test_the_client_tips_from_the_receipt_email(client, world, stripe_on, commit):
    booking = booked(client, world, stripe_on, commit)
    commit(booking_complete, booking=booking, actor=world.therapist.user, now=after_start(booking))
    tip_link = re.search(r"http\S+/tip/\S+/", receipts(world)[0].body).group(0)
    path = tip_link.split("127.0.0.1:8000")[-1]
    client.logout()  # the link works without logging in

    page = client.get(path)
    assert "20% ($19.00)" in page.content.decode()
    response = commit(client.post, path, {"choice": "20"}, follow=True)

    tip = Payment.objects.get(booking=booking, action=Payment.Action.TIP)
    assert (tip.amount_cents, tip.status) == (1900, Payment.Status.SUCCEEDED)
    assert charged(stripe_on, world) == [1900, 9500]
    text = response.content.decode()
    assert "Thank you! Your tip goes to your therapist." in text
    assert "Including your tip of $19.00" in text
    assert "$114.00" in text  # total paid
    # Tipping twice is refused, and charges nothing.
    again = client.post(path, {"choice": "other", "amount": "5"})
    assert "already added a tip" in again.content.decode()
    assert charged(stripe_on, world) == [1900, 9500]


def test_a_tip_of_another_amount(client, world, stripe_on, commit):
    booking = booked(client, world, stripe_on, commit)
    commit(booking_complete, booking=booking, actor=world.therapist.user, now=after_start(booking))
    path = re.search(r"/payments/visits/\d+/tip/[^/\s]+/", receipts(world)[0].body).group(0)

    bad = client.post(path, {"choice": "other", "amount": "lots"})
    assert "Write the amount as a number" in bad.content.decode()
    commit(client.post, path, {"choice": "other", "amount": "12.50"})

    assert Payment.objects.get(booking=booking, action=Payment.Action.TIP).amount_cents == 1250


def test_a_tampered_tip_link_is_refused(client, world, stripe_on, commit):
    booking = booked(client, world, stripe_on, commit)
    url = reverse("payments:tip", kwargs={"pk": booking.pk, "token": "1:abc:def"})
    assert client.get(url).status_code == 400


def test_a_no_show_costs_the_no_show_fee(client, world, stripe_on, commit):
    booking = booked(client, world, stripe_on, commit)

    commit(
        booking_mark_no_show, booking=booking, actor=world.therapist.user, now=after_start(booking)
    )

    fee = Payment.objects.get(booking=booking, action=Payment.Action.NO_SHOW_FEE)
    assert (fee.amount_cents, fee.status) == (9500, Payment.Status.SUCCEEDED)
    assert charged(stripe_on, world) == [9500]
    assert receipts(world)


def test_a_no_show_after_a_deposit_charges_only_the_rest(client, world, stripe_on, commit):
    world.deposit_policy(20)
    booking = booked(client, world, stripe_on, commit)

    commit(
        booking_mark_no_show, booking=booking, actor=world.therapist.user, now=after_start(booking)
    )

    fee = Payment.objects.get(booking=booking, action=Payment.Action.NO_SHOW_FEE)
    assert fee.amount_cents == 9500 - 1900
    assert charged(stripe_on, world) == [1900, 7600]


@pytest.fixture
def soon(db) -> World:
    """A therapist who takes bookings at short notice: the first free time is inside the
    24-hour cancellation cut-off."""
    service = factories.ServiceFactory(therapist__min_notice_hours=0)
    open_all_week(service.therapist)
    return World(service.therapist, service, factories.BookableClientFactory())


def test_a_late_cancel_at_the_clients_request_costs_the_late_cancel_fee(
    client, soon, stripe_on, commit
):
    booking = booked(client, soon, stripe_on, commit)
    assert booking.starts_at - dt.timedelta(hours=24) < dt.datetime.now(dt.UTC)

    client.force_login(soon.therapist.user)
    commit(
        client.post,
        reverse("booking:visit_action", kwargs={"pk": booking.pk}),
        {"action": "cancel_for_client", "reason": "Client phoned: flu."},
    )

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    fee = Payment.objects.get(booking=booking, action=Payment.Action.LATE_CANCEL_FEE)
    assert (fee.amount_cents, fee.status) == (4750, Payment.Status.SUCCEEDED)
    assert charged(stripe_on, soon) == [4750]


def test_a_therapist_cancelling_refunds_the_deposit_in_full_and_charges_no_fee(
    client, soon, stripe_on, commit
):
    soon.deposit_policy(20)
    booking = booked(client, soon, stripe_on, commit)

    commit(booking_cancel, booking=booking, actor=soon.therapist.user, reason="I am ill.")

    assert not Payment.objects.filter(booking=booking, action=Payment.Action.LATE_CANCEL_FEE)
    deposit = Payment.objects.get(booking=booking, action=Payment.Action.DEPOSIT)
    [refund] = deposit.refunds.all()
    assert (refund.amount_cents, refund.status) == (1900, Refund.Status.SUCCEEDED)
    refunds = stripe_on.api("GET", "/v1/refunds", params={"payment_intent": deposit.stripe_id})
    assert [r["amount"] for r in refunds.json()["data"]] == [1900]


def test_a_late_cancel_with_a_deposit_larger_than_the_fee_refunds_the_difference(
    client, soon, stripe_on, commit
):
    soon.deposit_policy(80)  # $76 held; the late-cancel fee is $47.50
    booking = booked(client, soon, stripe_on, commit)

    commit(booking_cancel, booking=booking, actor=soon.therapist.user, for_client=True)

    assert not Payment.objects.filter(booking=booking, action=Payment.Action.LATE_CANCEL_FEE)
    deposit = Payment.objects.get(booking=booking, action=Payment.Action.DEPOSIT)
    assert [r.amount_cents for r in deposit.refunds.all()] == [7600 - 4750]


def test_admin_refunds_part_then_the_rest_then_nothing_more(client, world, stripe_on, commit):
    booking = booked(client, world, stripe_on, commit)
    commit(booking_complete, booking=booking, actor=world.therapist.user, now=after_start(booking))
    balance = Payment.objects.get(booking=booking, action=Payment.Action.BALANCE)
    staff = factories.StaffFactory()
    client.force_login(staff)
    url = reverse("admin:payments_payment_refund", args=[balance.pk])

    page = client.get(url)
    assert page.status_code == 200 and "Up to $95.00 can be refunded." in page.content.decode()
    form = {"amount": "20.00", "reason": "Ran 15 minutes short", "key": "form-1"}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # a double submit refunds once
    refund = payment_refund(payment=balance, amount_cents=7500, actor=staff)

    assert refund.status == Refund.Status.SUCCEEDED
    assert sorted(r.amount_cents for r in balance.refunds.all()) == [2000, 7500]
    at_stripe = stripe_on.api("GET", "/v1/refunds", params={"payment_intent": balance.stripe_id})
    assert sorted(r["amount"] for r in at_stripe.json()["data"]) == [2000, 7500]
    with pytest.raises(PaymentRefused):
        payment_refund(payment=balance, amount_cents=1, actor=staff)
    change = client.get(reverse("admin:booking_booking_change", args=[booking.pk])).content.decode()
    assert "Balance" in change and "−$95.00" in change
    receipt = client.get(receipt_url(booking_id=booking.pk)).content.decode()
    assert "Refund of the balance" in receipt and "Ran 15 minutes short" in receipt


def test_a_card_declined_at_charge_leaves_a_clear_state(client, world, stripe_on, commit):
    booking = booked(client, world, stripe_on, commit, number=DECLINED_AT_CHARGE)

    commit(booking_complete, booking=booking, actor=world.therapist.user, now=after_start(booking))

    balance = Payment.objects.get(booking=booking, action=Payment.Action.BALANCE)
    assert balance.status == Payment.Status.FAILED
    assert "declined" in balance.message
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED  # the visit is done either way
    assert "was not paid: Your card was declined" in receipts(world)[0].body
    client.force_login(world.therapist.user)
    visit = client.get(reverse("therapists:visit", kwargs={"pk": booking.pk})).content.decode()
    assert "was not paid" in visit
