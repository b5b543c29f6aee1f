"""Over SMTP the dispatcher marks a message sent when its last byte is on the wire, before the
server's reply; a refusal takes the mark back. Against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from core import delivery, outbox
from core.models import Email

pytestmark = pytest.mark.django_db


class Sink:
    """An SMTP server that records what it accepted, and can be told to pause or refuse."""

    def __init__(self) -> None:
        self.accepted: list[bytes] = []
        self.refuse = False
        self.before_reply = threading.Event()  # set when DATA has arrived
        self.rows_seen_by_then: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.before_reply.set()
        # What the database says about the row while the server has the message and has not
        # answered yet. The client marks it right after its last byte, so it may take a
        # moment on a busy machine; it cannot take longer than our reply (the client waits
        # for it only after marking), so a row still pending after 10 s was never marked first.
        status = ""
        for _ in range(200):
            status = await _status_now(envelope.content)
            if status == Email.Status.SENT:
                break
            await asyncio.sleep(0.05)
        self.rows_seen_by_then.append(status)
        if self.refuse:
            return "550 No such mailbox"
        self.accepted.append(envelope.content)
        return "250 OK"


async def _status_now(content: bytes) -> str:
    from asgiref.sync import sync_to_async

    return await sync_to_async(lambda: Email.objects.get().status, thread_sensitive=False)()


@pytest.fixture
def sink(settings):
    handler = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "core.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield handler
    finally:
        controller.stop()


@outbox.builder("test.smtp")
def _message(facts, to):
    from django.core.mail import EmailMessage

    return EmailMessage(subject="Over SMTP", body="Hello", to=[to])


@pytest.mark.django_db(transaction=True)
def test_the_row_is_marked_sent_before_the_server_answers(sink):
    outbox.enqueue(kind="test.smtp", to="a@example.com", facts={}, nudge=False)
    result = delivery.dispatch(["outbox"])
    assert result.sent == 1
    assert sink.rows_seen_by_then == [Email.Status.SENT]  # marked while the server was working
    assert len(sink.accepted) == 1
    assert b"Message-ID: <email-" in sink.accepted[0]
    assert mail.outbox == []  # it went over the wire, not to the test outbox


@pytest.mark.django_db(transaction=True)
def test_a_refusal_after_the_mark_takes_it_back_and_retries_later(sink):
    sink.refuse = True
    outbox.enqueue(kind="test.smtp", to="nobody@example.com", facts={}, nudge=False)
    result = delivery.dispatch(["outbox"])
    row = Email.objects.get()
    assert (result.sent, result.retrying) == (0, 1)
    assert row.status == Email.Status.PENDING
    assert row.attempts == 1
    assert row.sent_at is None
    assert "550" in row.last_error
