"""Money is never lost or doubled, against a real localstripe: a replayed webhook changes
nothing, a webhook that never came is made good by reconcile, the same charge retried after a
timeout charges once, Stripe down at the end of a visit leaves a clear state and no 500, and a
deposit held for a booking that was never made is let go."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.services import booking_complete
from core.models import Email
from payments.models import Checkout, Customer, Payment, WebhookEvent
from payments.services import (
    RECEIPT_KIND,
    checkout_authorize,
    payment_client_secret,
    payment_collect,
    payments_reconcile,
)
from payments.tasks import collect_payment, reconcile_payments
from tests.payments.conftest import World, book_with_card, review_form, the_booking
from tests.payments.localstripe import (
    NEEDS_AUTHENTICATION,
    SECRET,
    VISA,
    SlowProxy,
    free_port,
    signed_event,
)

WEBHOOK = "/payments/stripe/webhook/"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def completed(client, world: World, stripe_on, commit, number: str = VISA) -> Booking:
    commit(book_with_card, client, world, stripe_on, number)
    booking = the_booking(world)
    assert booking is not None
    commit(
        booking_complete,
        booking=booking,
        actor=world.therapist.user,
        now=booking.starts_at + dt.timedelta(minutes=30),
    )
    return booking


def balance_of(booking: Booking) -> Payment:
    return Payment.objects.get(booking=booking, action=Payment.Action.BALANCE)


def paid_charges(stripe_on, world: World) -> list[int]:
    customer = Customer.objects.get(client=world.client)
    return [c["amount"] for c in stripe_on.charges(customer.stripe_id) if c["paid"]]


def waiting_for_the_client(client, world, stripe_on, commit) -> Payment:
    """A balance the bank wants the client to confirm (3-D Secure, off-session)."""
    booking = completed(client, world, stripe_on, commit, number=NEEDS_AUTHENTICATION)
    balance = balance_of(booking)
    assert balance.status == Payment.Status.REQUIRES_ACTION
    return balance


def test_a_balance_needing_3d_secure_asks_the_client_and_the_receipt_lets_them_confirm(
    client, world, stripe_on, commit
):
    balance = waiting_for_the_client(client, world, stripe_on, commit)

    [receipt] = [m for m in mail.outbox if "receipt" in m.subject]
    assert "Your bank asks you to confirm this payment" in receipt.body
    page = client.get(reverse("payments:receipt", kwargs={"pk": balance.booking_id}))
    assert 'data-confirm-secret="pi_' in page.content.decode()


def test_a_replayed_webhook_changes_nothing(client, world, stripe_on, commit):
    balance = waiting_for_the_client(client, world, stripe_on, commit)
    assert stripe_on.authenticate(payment_client_secret(payment=balance)).status_code == 200
    intent = stripe_on.intent(balance.stripe_id)
    event = {
        "id": "evt_replayed",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": intent},
    }
    payload, signature = signed_event(event)

    first = commit(
        client.post,
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )
    balance.refresh_from_db()
    assert first.status_code == 200
    assert balance.status == Payment.Status.SUCCEEDED
    stamp, receipts = balance.updated_at, Email.objects.filter(kind=RECEIPT_KIND).count()

    again = commit(
        client.post,
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )

    assert again.status_code == 200
    assert WebhookEvent.objects.filter(event_id="evt_replayed").count() == 1
    balance.refresh_from_db()
    assert balance.updated_at == stamp
    assert Email.objects.filter(kind=RECEIPT_KIND).count() == receipts
    assert paid_charges(stripe_on, world) == [9500]


def test_a_late_failure_event_does_not_undo_a_payment(client, world, stripe_on, commit):
    balance = waiting_for_the_client(client, world, stripe_on, commit)
    stripe_on.authenticate(payment_client_secret(payment=balance))
    payments_reconcile()
    stale = {**stripe_on.intent(balance.stripe_id), "status": "requires_payment_method"}
    payload, signature = signed_event(
        {"id": "evt_stale", "type": "payment_intent.payment_failed", "data": {"object": stale}}
    )

    client.post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

    balance.refresh_from_db()
    assert balance.status == Payment.Status.SUCCEEDED


def test_a_webhook_with_a_bad_signature_is_refused_and_not_stored(client, world, stripe_on):
    payload, _signature = signed_event({"id": "evt_forged", "type": "payment_intent.succeeded"})
    forged = signed_event({"id": "evt_forged"}, secret="whsec_someone_else")[1]

    assert client.post(WEBHOOK, payload, content_type="application/json").status_code == 400
    response = client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=forged
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_lost_webhook_is_made_good_by_reconcile(client, world, stripe_on, commit):
    balance = waiting_for_the_client(client, world, stripe_on, commit)
    # The client confirms in the browser; Stripe's webhook never arrives (none is configured).
    assert stripe_on.authenticate(payment_client_secret(payment=balance)).status_code == 200
    balance.refresh_from_db()
    assert balance.status == Payment.Status.REQUIRES_ACTION

    counts = commit(reconcile_payments)

    balance.refresh_from_db()
    assert balance.status == Payment.Status.SUCCEEDED
    assert counts["synced"] == 1
    assert paid_charges(stripe_on, world) == [9500]


def test_localstripe_does_not_honour_idempotency_keys_so_the_rows_must(stripe_on):
    """Why the Payment row is the guard: the same key made two intents."""
    made = [
        requests.post(
            f"{stripe_on.url}/v1/payment_intents",
            data={"amount": 500, "currency": "usd", "payment_method": "pm_card_visa"},
            headers={"Idempotency-Key": "same-key"},
            auth=(SECRET, ""),
            timeout=10,
        ).json()["id"]
        for _ in range(2)
    ]
    assert made[0] != made[1]


def test_the_same_charge_retried_after_a_timeout_charges_once(
    client, world, stripe_on, commit, settings
):
    commit(book_with_card, client, world, stripe_on, VISA)
    booking = the_booking(world)
    slow = SlowProxy(stripe_on.url, delay=2.0)
    settings.STRIPE_API_BASE = slow.url
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    try:
        started = time.monotonic()
        commit(
            booking_complete,
            booking=booking,
            actor=world.therapist.user,
            now=booking.starts_at + dt.timedelta(minutes=30),
        )
        took = time.monotonic() - started
        balance = balance_of(booking)
        # The charge went through at Stripe, but its answer came too late for us.
        assert balance.status == Payment.Status.PROCESSING
        assert "could not reach our card processor" in balance.message
        assert took < 2.0
        assert paid_charges(stripe_on, world) == [9500]

        # The same action again: the task retried, reconcile, and one more for luck.
        collect_payment(balance.pk)
        payment_collect(payment_id=balance.pk)
        payments_reconcile(now=timezone.now() + dt.timedelta(minutes=5))
    finally:
        slow.close()

    balance.refresh_from_db()
    assert balance.status == Payment.Status.SUCCEEDED
    assert paid_charges(stripe_on, world) == [9500]


def test_stripe_down_when_the_visit_is_completed_is_a_clear_state_not_a_500(
    client, world, stripe_on, commit, settings
):
    commit(book_with_card, client, world, stripe_on, VISA)
    booking = the_booking(world)
    booking.starts_at = timezone.now() - dt.timedelta(hours=1)
    booking.ends_at = booking.starts_at + dt.timedelta(hours=1)
    booking.save()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client.force_login(world.therapist.user)

    response = commit(
        client.post,
        reverse("booking:visit_action", kwargs={"pk": booking.pk}),
        {"action": "complete"},
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    balance = balance_of(booking)
    assert balance.status == Payment.Status.PROCESSING
    assert balance.stripe_id == ""
    visit = client.get(reverse("therapists:visit", kwargs={"pk": booking.pk})).content.decode()
    assert "could not reach our card processor" in visit

    settings.STRIPE_API_BASE = stripe_on.url  # Stripe is back
    commit(payments_reconcile, now=timezone.now() + dt.timedelta(minutes=5))

    balance.refresh_from_db()
    assert balance.status == Payment.Status.SUCCEEDED
    assert paid_charges(stripe_on, world) == [9500]


def test_a_deposit_held_for_a_booking_never_made_is_let_go(client, world, stripe_on):
    world.deposit_policy(20)
    client.force_login(world.client.user)
    form = review_form(client, world, world.slot())
    setup = client.post(reverse("payments:checkout_setup"), form).json()
    seti = stripe_on.confirm_setup(setup["client_secret"], VISA).json()["id"]
    checkout = checkout_authorize(
        client=world.client,
        token=form["checkout"],
        therapist=world.therapist,
        service=world.service,
        starts_at=world.slot(),
        use_saved_card=False,
        setup_intent=seti,
    )
    assert stripe_on.intent(checkout.deposit_intent)["status"] == "requires_capture"
    # The request died before booking_create: nothing links the hold to a booking.

    counts = payments_reconcile(now=timezone.now() + dt.timedelta(minutes=20))

    checkout.refresh_from_db()
    assert counts["released"] == 1
    assert checkout.status == Checkout.Status.RELEASED
    assert (
        stripe_on.intent(checkout.deposit_intent or "")["status"]
        if checkout.deposit_intent
        else True
    )
    canceled = [
        i
        for i in stripe_on.api("GET", "/v1/payment_intents", params={"limit": 100}).json()["data"]
        if i["metadata"].get("checkout") == form["checkout"]
    ]
    assert [i["status"] for i in canceled] == ["canceled"]
