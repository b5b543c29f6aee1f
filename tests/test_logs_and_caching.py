"""No secrets in logs, no personal page in a cache."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from booking import links
from core.redact import REDACTED, RedactSecrets, redact
from tests import factories


@pytest.mark.parametrize(
    "line",
    [
        "GET /visits/12/link/12:cancel:1vABCd:Zx9_secretSig/cancel/ HTTP/1.1",
        "POST /aftercare/visits/3/feedback/3.7:1vAB:secretSig/ HTTP/1.1",
        "GET /aftercare/unsubscribe/7:offers:secretSig/ HTTP/1.1",
        "GET /therapists/feed/secretTokenValue123.ics HTTP/1.1",
        "GET /accounts/password/reset/key/1-secretKey/ HTTP/1.1",
        "GET /accounts/confirm-email/secretKey/ HTTP/1.1",
        "GET /book/review/?therapist=1&starts_at=2026-12-07T15:00:00Z HTTP/1.1",
    ],
)
def test_secrets_in_paths_and_query_strings_are_redacted(line):
    cleaned = redact(line)
    assert "secret" not in cleaned.lower() and "starts_at" not in cleaned
    assert REDACTED in cleaned
    assert cleaned.startswith(line.split(" ")[0])  # the method and the shape stay readable


def test_the_logging_filter_rewrites_a_django_request_warning():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/visits/4/link/4:cancel:abc:secretSig/cancel/",),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "secretSig" not in record.getMessage()


def test_the_gunicorn_access_log_is_redacted():
    from core.gunicorn_logging import RedactingLogger

    class Config:  # the few settings gunicorn's Logger reads
        errorlog = "-"
        loglevel = "info"
        accesslog = None
        logconfig = None
        logconfig_dict: dict = {}
        logconfig_json = None
        syslog = False
        capture_output = False
        user = group = None
        access_log_format = '%(h)s "%(r)s" %(s)s'
        disable_redirect_access_to_syslog = False

    logger = RedactingLogger(Config())

    class Response:
        status = "200 OK"
        response_length = 10
        headers: list = []
        sent = 10

    class Request:
        headers: list = []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/therapists/feed/secretTokenValue.ics?x=secret",
        "PATH_INFO": "/therapists/feed/secretTokenValue.ics",
        "QUERY_STRING": "x=secret",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    import datetime as dt

    atoms = logger.atoms(Response(), Request(), environ, dt.timedelta(seconds=0.01))
    assert "secret" not in atoms["r"] and "secret" not in atoms["U"] and "secret" not in atoms["q"]


@pytest.mark.django_db
def test_personal_pages_are_never_cached(client):
    booking = factories.BookingFactory()
    client.force_login(booking.client.user)
    for url in (
        reverse("dashboard"),
        reverse("booking:detail", args=[booking.pk]),
        reverse("clients:intake_edit"),
        links.manage_url(booking_id=booking.pk, action="cancel"),
    ):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url
