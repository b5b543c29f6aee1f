"""What aftercare does when a visit changes (``booking.signals.booking_changed``), inside the
booking's transaction: rows only, nothing slow."""

from __future__ import annotations

from typing import Any

from booking.models import Booking

from .services import aftercare_plan_create, reminders_cancel_for_booking, visit_tomorrow_schedule


def on_booking_changed(*, booking: Booking, action: str, **kwargs: Any) -> None:
    if action == "completed":
        aftercare_plan_create(booking=booking)
    elif action in ("cancelled", "no_show", "declined", "expired"):
        reminders_cancel_for_booking(booking=booking)
    elif booking.status == Booking.Status.CONFIRMED and action in (
        "created",
        "confirmed",
        "rescheduled",
    ):
        visit_tomorrow_schedule(booking=booking)
