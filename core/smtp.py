"""SMTP that lets the dispatcher mark a message sent the moment its last byte is on the wire.

A message is accepted by the mail server when it receives the final "." of DATA; our worker
learns it only when the server's "250" comes back (after the server's own checks and queueing,
which can take tens of milliseconds). A worker killed in between, before the row was marked,
sends the message again: that gap is the one duplicate no sender can rule out. This backend
calls the dispatcher's ``on_data_sent`` hook right after sending the ".", before reading the
reply, so the mark goes to the database while the server is still working: the gap shrinks to
one write to the database. If the server then refuses, the dispatcher takes the mark back.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend

_local = threading.local()


@contextmanager
def on_data_sent(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` once the next message's data is sent, before the server's reply."""
    _local.callback = callback
    try:
        yield
    finally:
        _local.callback = None


def _data_sent() -> None:
    callback = getattr(_local, "callback", None)
    if callback is not None:
        _local.callback = None
        callback()


class _PipelinedData:
    """``smtplib.SMTP.data`` with the hook between sending the "." and reading the reply."""

    def data(self, msg: Any) -> tuple[int, bytes]:
        smtp: Any = self
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")  # type: ignore[attr-defined]  # as smtplib does
        payload = smtplib._quote_periods(msg)  # type: ignore[attr-defined]  # as smtplib does
        if payload[-2:] != smtplib.bCRLF:
            payload += smtplib.bCRLF
        smtp.send(payload + b"." + smtplib.bCRLF)
        _data_sent()
        code, reply = smtp.getreply()
        return code, reply


class _SMTP(_PipelinedData, smtplib.SMTP):
    pass


class _SMTP_SSL(_PipelinedData, smtplib.SMTP_SSL):
    pass


class EmailBackend(DjangoSMTPBackend):
    """Django's SMTP backend with the pipelined DATA above."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _SMTP_SSL if self.use_ssl else _SMTP
