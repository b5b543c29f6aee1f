"""/healthz: the database and the broker, each "ok" or "down", within two seconds even when
the broker accepts connections and never answers (a frozen Redis)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError

from config import views
from config.celery import app


@contextmanager
def broker_at(url: str, monkeypatch, settings) -> Iterator[None]:
    """Point the Celery app (and its pools) at ``url`` for the test."""
    old = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = url
    app.conf.broker_transport_options = settings.BROKER_FAIL_FAST
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    app._pool = None
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = old
        app._pool = None


@contextmanager
def frozen_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.django_db
def test_it_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_names_the_broker_when_it_is_stopped(client, monkeypatch, settings):
    with broker_at("redis://127.0.0.1:1/0", monkeypatch, settings):  # nothing listens there
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}


@pytest.mark.django_db
def test_it_says_down_in_time_when_the_broker_is_frozen(client, monkeypatch, settings):
    with frozen_server() as port, broker_at(f"redis://127.0.0.1:{port}/0", monkeypatch, settings):
        started = time.monotonic()
        response = client.get("/healthz")
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    # A bound, not a benchmark: without it the request hangs for as long as the socket does.
    assert waited < 2.5, f"/healthz waited {waited:.1f}s on a frozen broker"


@pytest.mark.django_db
def test_it_names_the_database_when_it_is_down(client, monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "down", "broker": "ok"}
