"""Absolute addresses for e-mails, and signed links that work without logging in.

A signed link carries a value signed with the ``SECRET_KEY`` and a salt of its own purpose,
so a token made for one purpose (cancel a visit, give feedback, unsubscribe) is refused for
any other, once edited, and (when it has a ``max_age``) once too old."""

from __future__ import annotations

import functools
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse


def absolute(path: str) -> str:
    """``path`` under ``settings.SITE_URL``: the address to put in an e-mail."""
    return f"{settings.SITE_URL}{path}"


def fixed_path(name: str) -> str:
    """``reverse(name)`` for a URL without arguments, worked out once: e-mails sent in bulk
    put the same few addresses in every message."""
    return _fixed_path(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=64)
def _fixed_path(name: str, prefix: str, urlconf: str) -> str:
    return reverse(name, urlconf=urlconf)


class LinkRefused(Exception):
    """A link that must not be honoured. ``reason`` says why ("tampered", "expired", or a
    purpose-specific one such as "wrong_booking"); ``status`` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def sign(value: str, *, salt: str, expires: bool = True) -> str:
    signer = signing.TimestampSigner(salt=salt) if expires else signing.Signer(salt=salt)
    return signer.sign(value)


def unsign(token: str, *, salt: str, max_age: timedelta | None = None) -> str:
    """The value in ``token``; :class:`LinkRefused` if it is edited or older than
    ``max_age`` (no ``max_age``: a link that never expires, signed with ``expires=False``)."""
    try:
        if max_age is None:
            return signing.Signer(salt=salt).unsign(token)
        return signing.TimestampSigner(salt=salt).unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkRefused("expired", 403) from exc
    except signing.BadSignature as exc:
        raise LinkRefused("tampered", 400) from exc
