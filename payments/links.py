"""Signed links in payment e-mails: the receipt and its tip page, without logging in.

A token signs the booking id with a salt of its own (``core.links``): refused for another
visit, for any other signed purpose, once edited, and after ``LINK_MAX_AGE``.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from core.links import LinkRefused, sign, unsign

SALT = "payments.visit"
# Long enough to claim an HSA/FSA reimbursement with the receipt; tips come within days.
LINK_MAX_AGE = timedelta(days=90)


def visit_token(*, booking_id: int) -> str:
    return sign(str(booking_id), salt=SALT)


def visit_token_check(token: str, *, booking_id: int) -> None:
    value = unsign(token, salt=SALT, max_age=LINK_MAX_AGE)
    if not value.isdigit():
        raise LinkRefused("tampered", 400)
    if int(value) != booking_id:
        raise LinkRefused("wrong_booking", 403)


def receipt_url(*, booking_id: int) -> str:
    token = visit_token(booking_id=booking_id)
    return reverse("payments:receipt_link", kwargs={"pk": booking_id, "token": token})


def tip_url(*, booking_id: int) -> str:
    token = visit_token(booking_id=booking_id)
    return reverse("payments:tip", kwargs={"pk": booking_id, "token": token})
