"""A broker outage costs latency, never a booking or an e-mail.

The after-commit nudge to Celery fails at once against a broker nobody listens on; the request
still answers its normal page, the e-mails wait as outbox rows, and the dispatcher (beat's
minute tick once the broker is back) delivers each of them once.
"""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.urls import reverse

from booking.models import Booking
from booking.templatetags.booking_tags import slot_value
from config.celery import app
from core import delivery
from core.models import Email
from tests.booking.conftest import first_slot

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def broker_down(settings, monkeypatch):
    old = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options)
    app.conf.broker_url = UNREACHABLE
    # Celery prefers the environment's CELERY_BROKER_URL (set in CI's Redis stage) to its
    # configuration: point that at nothing too.
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE)
    app.conf.broker_transport_options = settings.BROKER_FAIL_FAST
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _fresh_pools()  # connections to the unreachable broker …
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options = old
        _fresh_pools()  # … and to the usual one for the tests that follow


def _fresh_pools() -> None:
    app._pool = None
    app.amqp._producer_pool = None


def test_a_booking_made_while_the_broker_is_down_answers_normally_and_its_mail_follows(
    client, setup, broker_down, django_capture_on_commit_callbacks, caplog
):
    client.force_login(setup.client.user)
    slot = first_slot(setup)
    with (
        caplog.at_level(logging.WARNING, logger="core.outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("booking:review"),
            {
                "therapist": setup.therapist.pk,
                "service": setup.service.pk,
                "starts_at": slot_value(slot),
            },
        )
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:detail", kwargs={"pk": booking.pk})
    assert mail.outbox == []  # the nudge could not reach a worker …
    assert "could not queue e-mail" in caplog.text  # … and said so, without an error
    assert Email.objects.filter(status=Email.Status.PENDING).count() == 2

    # The broker is back: beat's next tick runs the dispatcher.
    delivery.dispatch(["outbox"])
    delivery.dispatch(["outbox"])  # a second tick finds nothing left to send

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [setup.client.user.email, setup.therapist.user.email]
    )
    assert Email.objects.filter(status=Email.Status.SENT).count() == 2


def test_a_sign_up_while_the_broker_is_down_keeps_the_user_and_sends_the_mail_later(
    client, broker_down, django_capture_on_commit_callbacks, db
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.com",
                "password1": "a-Strong-test-pass-42",
                "password2": "a-Strong-test-pass-42",
            },
        )
    assert response.status_code == 302
    assert Email.objects.filter(to="ada@example.com", status=Email.Status.PENDING).exists()
    delivery.dispatch(["outbox"])
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
