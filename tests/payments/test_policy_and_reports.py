"""The money rules (pure), rescheduling keeping the payment, and the totals per therapist the
admin reports use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from booking.services import booking_complete, booking_reschedule
from payments.models import Payment, PaymentPolicy, Refund
from payments.policy import Settlement, money, percent_of, settle_fee, terms_for, to_cents
from payments.selectors import totals_by_therapist
from payments.services import payment_refund
from tests import factories
from tests.payments.conftest import book_with_card, the_booking
from tests.payments.localstripe import VISA


def test_percentages_round_half_up_to_the_cent():
    assert percent_of(9500, 20) == 1900
    assert percent_of(9999, 15) == 1500  # 1499.85
    assert percent_of(101, 50) == 51  # 50.5
    assert to_cents(Decimal("95.00")) == 9500


def test_a_fee_counts_the_deposit_towards_it():
    assert settle_fee(fee_cents=9500, deposit_cents=1900) == Settlement(7600, 0)
    assert settle_fee(fee_cents=4750, deposit_cents=7600) == Settlement(0, 2850)
    assert settle_fee(fee_cents=0, deposit_cents=1900) == Settlement(0, 1900)


def test_money_reads_as_people_write_it():
    assert money(11400, "usd") == "$114.00"
    assert money(123456, "eur") == "1,234.56 EUR"


def test_a_therapists_terms_fill_blanks_from_the_site_defaults(db, settings):
    settings.PAYMENTS_DEFAULT_NO_SHOW_PERCENT = 100
    therapist = factories.TherapistProfileFactory()
    PaymentPolicy.objects.create(therapist=therapist, mode="deposit", deposit_percent=30)

    terms = terms_for(therapist)

    assert (terms.mode, terms.deposit_percent, terms.no_show_percent) == ("deposit", 30, 100)
    assert terms_for(factories.TherapistProfileFactory()).mode == "card"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_rescheduling_keeps_the_payment(client, world, stripe_on, commit):
    world.deposit_policy(20)
    commit(book_with_card, client, world, stripe_on, VISA)
    booking = the_booking(world)
    before = list(Payment.objects.filter(booking=booking).values_list("action", "status"))

    commit(booking_reschedule, booking=booking, actor=world.client.user, starts_at=world.slot(12))

    after = list(Payment.objects.filter(booking=booking).values_list("action", "status"))
    assert after == before == [("card", "succeeded"), ("deposit", "succeeded")]
    assert not Refund.objects.exists()


def test_totals_per_therapist_count_collected_fees_tips_and_refunds(
    client, world, stripe_on, commit
):
    commit(book_with_card, client, world, stripe_on, VISA)
    booking = the_booking(world)
    commit(
        booking_complete,
        booking=booking,
        actor=world.therapist.user,
        now=booking.starts_at + dt.timedelta(minutes=30),
    )
    balance = Payment.objects.get(booking=booking, action=Payment.Action.BALANCE)
    payment_refund(payment=balance, amount_cents=1000, actor=factories.StaffFactory(mfa=False))

    [totals] = totals_by_therapist()

    assert totals.therapist_id == world.therapist.pk
    assert (totals.collected_cents, totals.fees_cents, totals.tips_cents) == (9500, 0, 0)
    assert totals.refunded_cents == 1000
    later = booking.starts_at + dt.timedelta(days=1)
    assert totals_by_therapist(start=later) == []
