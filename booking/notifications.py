"""E-mails about a booking. Filled in with the booking flow: received, confirmed, declined,
cancelled, rescheduled, each with an .ics that updates the same calendar event."""

from __future__ import annotations

from booking.models import Booking


def booking_notify(*, booking: Booking, kind: str) -> None:
    return None
