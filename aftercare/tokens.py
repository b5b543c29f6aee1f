"""Signed links that work without logging in: feedback on one visit, and unsubscribe.

Both go through ``core.links`` with a salt of their own, so a token made for one purpose is
refused for the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.links import LinkRefused, sign, unsign

__all__ = ["LinkRefused", "feedback_token", "feedback_token_check"]

FEEDBACK_SALT = "aftercare.feedback"
UNSUBSCRIBE_SALT = "aftercare.unsubscribe"
# Long enough to cover the check-in e-mail a few days after the visit, short enough that an old
# forwarded e-mail stops working. After that the client gives feedback from their dashboard.
FEEDBACK_LINK_MAX_AGE = dt.timedelta(days=14)


def feedback_token(*, booking_id: int, client_id: int) -> str:
    return sign(f"{booking_id}.{client_id}", salt=FEEDBACK_SALT)


@dataclass(frozen=True)
class FeedbackClaim:
    booking_id: int
    client_id: int


def feedback_token_check(
    token: str, *, booking_id: int, max_age: dt.timedelta = FEEDBACK_LINK_MAX_AGE
) -> FeedbackClaim:
    """The booking and client a feedback token was made for, if it is genuine, unexpired and
    for ``booking_id`` (the visit in the link's address). Raises :class:`LinkRefused`."""
    value = unsign(token, salt=FEEDBACK_SALT, max_age=max_age)
    try:
        token_booking, token_client = (int(part) for part in value.split("."))
    except ValueError as exc:  # a value we never sign: treat as tampering
        raise LinkRefused("tampered", 400) from exc
    if token_booking != booking_id:
        raise LinkRefused("wrong_visit", 403)
    return FeedbackClaim(booking_id=token_booking, client_id=token_client)


UNSUBSCRIBE_KINDS = ("reminders", "offers")


@dataclass(frozen=True)
class UnsubscribeClaim:
    client_id: int
    kind: str  # "reminders" (about booked visits) or "offers" (suggestions)


def unsubscribe_token(*, client_id: int, kind: str) -> str:
    # No expiry: an unsubscribe link in an old e-mail must still work.
    if kind not in UNSUBSCRIBE_KINDS:
        raise ValueError(f"unknown kind of e-mail {kind!r}")
    return sign(f"{client_id}:{kind}", salt=UNSUBSCRIBE_SALT, expires=False)


def unsubscribe_token_check(token: str) -> UnsubscribeClaim:
    """Which client and kind of e-mail a link stops. Links sent before there were two kinds
    carry only the client: they stop suggestions, never the e-mails about booked visits."""
    value = unsign(token, salt=UNSUBSCRIBE_SALT)
    client, _, kind = value.partition(":")
    try:
        client_id = int(client)
    except ValueError as exc:
        raise LinkRefused("tampered", 400) from exc
    if kind and kind not in UNSUBSCRIBE_KINDS:
        raise LinkRefused("tampered", 400)
    return UnsubscribeClaim(client_id=client_id, kind=kind or "offers")
