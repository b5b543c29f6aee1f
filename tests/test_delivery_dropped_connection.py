"""A database connection dropped at the moment a sent message is marked (a failover, a
restarted pooler, pg_terminate_backend) does not make the message go out twice: the mark is
written again on a new connection.

The fault suite found it: with the app's connections terminated twice a second, 6 of 80
booking e-mails arrived twice, because the failed mark left the row to be sent again. It
also measured kills of sending workers: the mark is compiled before the message's last byte
goes, so nothing but sending it is left for the moment a kill costs a duplicate."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import OperationalError, connection

from core import delivery, outbox
from core.models import Email
from tests.test_smtp_pipelining import sink  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@outbox.builder("test.dropped")
def _message(facts: dict[str, Any], to: str) -> EmailMessage:
    return EmailMessage(subject="Your visit", body="Hello", to=[to])


class DropAtMark:
    """Fails the first UPDATE that marks a row sent, as a dropped connection does: before it
    reaches the server (``committed=False``) or after (the answer is lost)."""

    def __init__(self, *, committed: bool = False) -> None:
        self.committed = committed
        self.dropped = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        marking = sql.lstrip().upper().startswith("UPDATE") and "sent" in list(params or [])
        if marking and not self.dropped:
            self.dropped += 1
            if self.committed:
                execute(sql, params, many, context)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


def test_a_mark_cut_off_by_a_dropped_connection_is_written_again_and_not_resent():
    outbox.enqueue(kind="test.dropped", to="a@example.com", facts={}, nudge=False)
    drop = DropAtMark()
    with connection.execute_wrapper(drop):
        result = delivery.dispatch(["outbox"])
    assert drop.dropped == 1
    assert result.sent == 1
    assert Email.objects.get().status == Email.Status.SENT
    delivery.dispatch(["outbox"])  # a later run finds nothing to send again
    assert len(mail.outbox) == 1


def test_a_mark_that_committed_before_its_connection_dropped_counts_as_written():
    outbox.enqueue(kind="test.dropped", to="a@example.com", facts={}, nudge=False)
    with connection.execute_wrapper(DropAtMark(committed=True)):
        result = delivery.dispatch(["outbox"])
    assert result.sent == 1
    assert Email.objects.get().status == Email.Status.SENT
    assert len(mail.outbox) == 1


def test_over_smtp_the_mark_is_written_again_after_the_server_answers(sink):  # noqa: F811
    outbox.enqueue(kind="test.dropped", to="a@example.com", facts={}, nudge=False)
    drop = DropAtMark()
    with connection.execute_wrapper(drop):
        result = delivery.dispatch(["outbox"])
    assert drop.dropped == 1
    assert result.sent == 1
    assert Email.objects.get().status == Email.Status.SENT
    delivery.dispatch(["outbox"])
    assert len(sink.accepted) == 1


def test_between_the_last_byte_and_the_mark_there_is_no_sql_to_compile(
    sink,  # noqa: F811
    monkeypatch,
):
    # A worker killed between the message's last byte and the mark leaving for the database
    # costs a duplicate: that moment is kept to sending a statement compiled beforehand.
    from django.db.models.sql.compiler import SQLUpdateCompiler

    from core import smtp

    events: list[str] = []
    as_sql = SQLUpdateCompiler.as_sql

    def compiling(self: Any) -> Any:
        events.append("compile")
        return as_sql(self)

    def watched(callback: Any) -> Any:
        return smtp.on_data_sent(lambda: (events.append("last byte sent"), callback()))

    def executing(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        events.append("execute " + sql.split()[0].upper())
        return execute(sql, params, many, context)

    monkeypatch.setattr(SQLUpdateCompiler, "as_sql", compiling)
    monkeypatch.setattr(delivery, "on_data_sent", watched)
    outbox.enqueue(kind="test.dropped", to="a@example.com", facts={}, nudge=False)
    with connection.execute_wrapper(executing):
        assert delivery.dispatch(["outbox"]).sent == 1
    after = events[events.index("last byte sent") + 1 :]
    assert after[0] == "execute UPDATE", events
    assert Email.objects.get().status == Email.Status.SENT
