"""Signed links that work without logging in: feedback on one visit, and unsubscribe.

Both use Django's signing with the SECRET_KEY and a salt of their own, so a token made for one
purpose is refused for the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing

FEEDBACK_SALT = "aftercare.feedback"
UNSUBSCRIBE_SALT = "aftercare.unsubscribe"
# Long enough to cover the check-in e-mail a few days after the visit, short enough that an old
# forwarded e-mail stops working. After that the client gives feedback from their dashboard.
FEEDBACK_LINK_MAX_AGE = dt.timedelta(days=14)


class LinkRefused(Exception):
    """A signed link that must not be honoured. ``status`` is the HTTP status to answer with
    and ``reason`` one of "tampered", "expired" or "wrong_visit"."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def feedback_token(*, booking_id: int, client_id: int) -> str:
    signer = signing.TimestampSigner(salt=FEEDBACK_SALT)
    return signer.sign(f"{booking_id}.{client_id}")


@dataclass(frozen=True)
class FeedbackClaim:
    booking_id: int
    client_id: int


def feedback_token_check(
    token: str, *, booking_id: int, max_age: dt.timedelta = FEEDBACK_LINK_MAX_AGE
) -> FeedbackClaim:
    """The booking and client a feedback token was made for, if it is genuine, unexpired and
    for ``booking_id`` (the visit in the link's address). Raises :class:`LinkRefused`."""
    signer = signing.TimestampSigner(salt=FEEDBACK_SALT)
    try:
        value = signer.unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkRefused("expired", 403) from exc
    except signing.BadSignature as exc:
        raise LinkRefused("tampered", 400) from exc
    try:
        token_booking, token_client = (int(part) for part in value.split("."))
    except ValueError as exc:  # a value we never sign: treat as tampering
        raise LinkRefused("tampered", 400) from exc
    if token_booking != booking_id:
        raise LinkRefused("wrong_visit", 403)
    return FeedbackClaim(booking_id=token_booking, client_id=token_client)


def unsubscribe_token(*, client_id: int) -> str:
    # No expiry: an unsubscribe link in an old e-mail must still work.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(client_id))


def unsubscribe_token_check(token: str) -> int:
    try:
        return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise LinkRefused("tampered", 400) from exc
