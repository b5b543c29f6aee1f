"""A frozen Redis (it accepts connections and never answers) costs a request one short wait,
not one socket timeout per cache call and per e-mail queued (core.breaker, core.nudge).

The fault suite measured a booking at 4.1 s and a sign-up at 11 s while Redis was frozen:
each of a booking's two after-commit nudges waited out the broker's 2-second socket timeout,
and a sign-up made four cache calls of 1 s each before its nudge (docs/reliability.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.urls import reverse

from booking.models import Booking
from booking.templatetags.booking_tags import slot_value
from config.celery import app
from core import nudge
from core.models import Email
from tests.booking.conftest import first_slot
from tests.test_health import frozen_server


def _fresh_pools() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def frozen_redis(settings, monkeypatch) -> Iterator[int]:
    """Broker and cache both on a Redis that never answers, as in production (one Redis)."""
    with frozen_server() as port:
        url = f"redis://127.0.0.1:{port}"
        old = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options)
        app.conf.broker_url = f"{url}/0"
        monkeypatch.setenv("CELERY_BROKER_URL", f"{url}/0")
        app.conf.broker_transport_options = settings.BROKER_FAIL_FAST
        app.conf.task_always_eager = False
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CACHES = {
            "default": {
                "BACKEND": "core.cache.ResilientRedisCache",
                "LOCATION": f"{url}/1",
                # as config/settings.py sets them for a Redis cache
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
        _fresh_pools()
        try:
            yield port
        finally:
            app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options = old
            _fresh_pools()


def test_a_booking_answers_within_two_seconds_while_redis_is_frozen(
    client, setup, frozen_redis, django_capture_on_commit_callbacks
):
    client.force_login(setup.client.user)
    slot = first_slot(setup)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("booking:review"),
            {
                "therapist": setup.therapist.pk,
                "service": setup.service.pk,
                "starts_at": slot_value(slot),
            },
        )
    waited = time.monotonic() - started
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:detail", kwargs={"pk": booking.pk})
    # One cache timeout (1 s), then the cache is skipped; the first of the two nudges waits half
    # a second, the second none (not the 2-second socket timeout each).
    assert waited < 2.0, f"the booking waited {waited:.1f}s on a frozen Redis"
    assert Email.objects.filter(status=Email.Status.PENDING).count() == 2


def test_a_sign_up_answers_within_two_seconds_while_redis_is_frozen(
    client, frozen_redis, django_capture_on_commit_callbacks, db
):
    started = time.monotonic()
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
    waited = time.monotonic() - started
    assert response.status_code == 302
    # One cache timeout (1 s), then the cache is skipped; the nudge waits 0.5 s at most.
    assert waited < 2.0, f"the sign-up waited {waited:.1f}s on a frozen Redis"
    assert Email.objects.filter(to="ada@example.com", status=Email.Status.PENDING).exists()


def test_after_one_timeout_the_cache_answers_misses_at_once(frozen_redis, db):
    cache = caches["default"]
    started = time.monotonic()
    assert cache.get("k", "missing") == "missing"  # waits out the socket timeout once
    first = time.monotonic() - started
    started = time.monotonic()
    cache.set("k", "v")
    assert cache.get("k", "missing") == "missing"
    assert cache.add("lock", "v") is True  # a lock granted: nobody is locked out
    cache.delete("k")
    rest = time.monotonic() - started
    assert 0.5 < first < 2
    assert rest < 0.1, f"four calls after the first timeout took {rest:.2f}s"


def test_the_broker_is_asked_again_once_the_cooldown_is_over(monkeypatch, settings, caplog):
    # A stopped broker refuses at once: the nudge is lost and the breaker opens …
    monkeypatch.setattr(nudge.BROKER, "cooldown", 0.2)
    old = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options)
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    app.conf.broker_transport_options = settings.BROKER_FAIL_FAST
    app.conf.task_always_eager = False
    _fresh_pools()
    try:
        nudge.nudge(nudge_probe, args=(), what="probe 1", otherwise="nobody")
        assert not nudge.BROKER.allows()
        nudge.nudge(nudge_probe, args=(), what="probe 2", otherwise="nobody")
        time.sleep(0.3)
        # … and closes by itself: the next nudge tries the broker again.
        assert nudge.BROKER.allows()
    finally:
        app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options = old
        _fresh_pools()
    lines = [r.getMessage() for r in caplog.records if r.name == "core.nudge"]
    assert any("probe 1" in line and "Error" in line for line in lines), lines
    assert any("probe 2 (the broker is unavailable)" in line for line in lines), lines


@app.task(name="tests.nudge_probe")
def nudge_probe() -> None:
    """Never runs: only queued at a broker that is not there."""
