"""What payments does when a visit changes (``booking.signals.booking_changed``), inside the
booking's transaction: rows only (the terms agreed, a balance or fee to collect, a deposit to
give back); Stripe is called after commit."""

from __future__ import annotations

from typing import Any

from booking.models import Booking, BookingEvent
from therapists.availability import availability_changed

from .services import payments_on_booking_changed


def on_booking_changed(
    *, booking: Booking, event: BookingEvent, action: str, by_client: bool = False, **kwargs: Any
) -> None:
    payments_on_booking_changed(booking=booking, event=event, action=action, by_client=by_client)


def on_terms_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A therapist's public profile states their payment terms.
    availability_changed(therapist_id=instance.therapist_id)
