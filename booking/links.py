"""Signed links in booking e-mails: cancel or move one visit without logging in first.

A token signs ``"<booking id>:<action>"`` with a salt of its own (``core.links``), so it is
refused for another booking, for another action, for any other signed purpose, once edited,
and once older than ``BOOKING_LINK_MAX_AGE_DAYS``. The booking id is also in the link's path;
the two must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from core.links import LinkRefused, sign, unsign

__all__ = ["ACTIONS", "LinkClaim", "LinkRefused", "manage_token", "manage_token_check"]

SALT = "booking.manage"
ACTIONS = ("cancel", "reschedule")


def link_max_age() -> timedelta:
    # Covers the whole booking horizon: a visit booked eight weeks ahead keeps working links
    # until it happens; an old forwarded e-mail stops working a week after that.
    default = 7 * settings.BOOKING_HORIZON_WEEKS + 7
    return timedelta(days=getattr(settings, "BOOKING_LINK_MAX_AGE_DAYS", default))


@dataclass(frozen=True)
class LinkClaim:
    booking_id: int
    action: str


def manage_token(*, booking_id: int, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return sign(f"{booking_id}:{action}", salt=SALT)


def manage_token_check(token: str, *, booking_id: int, action: str) -> LinkClaim:
    """The claim in ``token`` if it is genuine, unexpired, and for this booking and action."""
    value = unsign(token, salt=SALT, max_age=link_max_age())
    token_booking, _, token_action = value.partition(":")
    if not token_booking.isdigit() or token_action not in ACTIONS:
        raise LinkRefused("tampered", 400)
    if int(token_booking) != booking_id or token_action != action:
        raise LinkRefused("wrong_booking", 403)
    return LinkClaim(booking_id=booking_id, action=action)


def manage_url(*, booking_id: int, action: str) -> str:
    """The path of a signed link (``core.links.absolute`` makes it an e-mail address)."""
    token = manage_token(booking_id=booking_id, action=action)
    return reverse(f"booking:link_{action}", kwargs={"pk": booking_id, "token": token})
