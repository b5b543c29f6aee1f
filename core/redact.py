"""Secrets out of logs: the tokens in signed links, the calendar feed, password resets and
e-mail confirmations, and every query string, are replaced before a line is written.

Used by the logging filter below (Django's own request logs) and by the gunicorn access log
(``core.gunicorn_logging``)."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# A path segment that is a secret: what follows these markers, up to the next "/" (or ".ics").
_SECRET_SEGMENTS = re.compile(
    r"(?P<before>/(?:link|feedback|unsubscribe|feed|key|confirm-email)/)"
    r"(?P<secret>[^/?#\s\"]+?)(?P<after>\.ics|/|(?=[?#\s\"])|$)"
)
_QUERY = re.compile(r"\?[^\s\"#]*")


def redact(text: str) -> str:
    text = _SECRET_SEGMENTS.sub(lambda m: f"{m['before']}{REDACTED}{m['after']}", text)
    return _QUERY.sub(f"?{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites each record's message with :func:`redact` (its arguments folded in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
