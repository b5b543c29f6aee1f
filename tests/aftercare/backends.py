"""A mail backend that fails like an SMTP server that is down (for retry tests)."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend


class BrokenBackend(BaseEmailBackend):
    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        raise OSError("SMTP server unavailable")
