"""localstripe itself delivers the webhook to the running site: its signature passes the
stripe library's check and the event settles the payment (no test-made payload here)."""

from __future__ import annotations

import datetime as dt
import time

from booking.services import booking_complete
from payments.models import Payment, WebhookEvent
from payments.services import payment_client_secret
from tests.payments.conftest import book_with_card, the_booking
from tests.payments.localstripe import NEEDS_AUTHENTICATION, free_port


def test_localstripe_delivers_a_signed_webhook_that_settles_the_payment(
    client, transactional_db, world, stripe_on, live_server
):
    stripe_on.send_webhooks_to(f"{live_server.url}/payments/stripe/webhook/")
    try:
        book_with_card(client, world, stripe_on, NEEDS_AUTHENTICATION)
        booking = the_booking(world)
        booking_complete(
            booking=booking,
            actor=world.therapist.user,
            now=booking.starts_at + dt.timedelta(minutes=30),
        )
        balance = Payment.objects.get(booking=booking, action=Payment.Action.BALANCE)
        assert balance.status == Payment.Status.REQUIRES_ACTION

        stripe_on.authenticate(payment_client_secret(payment=balance))

        deadline = time.monotonic() + 30  # a busy CI machine
        while time.monotonic() < deadline:
            balance.refresh_from_db()
            if balance.status == Payment.Status.SUCCEEDED:
                break
            time.sleep(0.2)
    finally:
        # Later tests' events go nowhere.
        stripe_on.send_webhooks_to(f"http://127.0.0.1:{free_port()}/")

    assert balance.status == Payment.Status.SUCCEEDED, stripe_on.log.read_text()[-3000:]
    # (Events of earlier tests that were still on their way may have arrived too.)
    events = list(
        WebhookEvent.objects.filter(
            type="payment_intent.succeeded", outcome__startswith=f"payment {balance.pk}:"
        )
    )
    assert len(events) == 1, [(e.type, e.outcome) for e in WebhookEvent.objects.order_by("pk")]
    [event] = events
    assert event.processed_at is not None
    assert event.outcome.endswith("-> succeeded")
