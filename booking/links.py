"""Signed links in booking e-mails: cancel or move one visit without logging in first.

A token is Django's ``TimestampSigner`` over ``"<booking id>:<action>"`` with a salt of its
own, so it is refused for another booking, for another action, for any other signed purpose
(aftercare's feedback links use other salts), once edited, and once older than
``BOOKING_LINK_MAX_AGE_DAYS``. The booking id is also in the link's path; the two must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "booking.manage"
ACTIONS = ("cancel", "reschedule")


def link_max_age() -> timedelta:
    # Covers the whole booking horizon: a visit booked eight weeks ahead keeps working links
    # until it happens; an old forwarded e-mail stops working a week after that.
    default = 7 * settings.BOOKING_HORIZON_WEEKS + 7
    return timedelta(days=getattr(settings, "BOOKING_LINK_MAX_AGE_DAYS", default))


class LinkRefused(Exception):
    """A link that must not be honoured. ``reason`` is "tampered", "expired" or
    "wrong_booking"; ``status`` the HTTP status to answer with."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class LinkClaim:
    booking_id: int
    action: str


def manage_token(*, booking_id: int, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return signing.TimestampSigner(salt=SALT).sign(f"{booking_id}:{action}")


def manage_token_check(token: str, *, booking_id: int, action: str) -> LinkClaim:
    """The claim in ``token`` if it is genuine, unexpired, and for this booking and action."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=link_max_age())
    except signing.SignatureExpired as exc:
        raise LinkRefused("expired", 403) from exc
    except signing.BadSignature as exc:
        raise LinkRefused("tampered", 400) from exc
    token_booking, _, token_action = value.partition(":")
    if not token_booking.isdigit() or token_action not in ACTIONS:
        raise LinkRefused("tampered", 400)
    if int(token_booking) != booking_id or token_action != action:
        raise LinkRefused("wrong_booking", 403)
    return LinkClaim(booking_id=booking_id, action=action)


def manage_url(*, booking_id: int, action: str) -> str:
    """The path of a signed link (prefix ``settings.SITE_URL`` for an e-mail)."""
    token = manage_token(booking_id=booking_id, action=action)
    return reverse(f"booking:link_{action}", kwargs={"pk": booking_id, "token": token})


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
