"""What aftercare does when a visit changes (``booking.signals.booking_changed``), inside the
booking's transaction: rows only, nothing slow."""

from __future__ import annotations

from typing import Any

from booking.models import Booking
from therapists.availability import availability_changed

from .models import Reminder
from .services import aftercare_plan_create, reminders_cancel_for_booking, visit_tomorrow_schedule

PLANNING_ACTIONS = ("created", "confirmed", "clearance_recorded", "rescheduled")
# A request the therapist has not answered gets no "see you tomorrow".
VISITS_TO_REMIND = (Booking.Status.CONFIRMED, Booking.Status.AWAITING_CLEARANCE)


def on_booking_changed(*, booking: Booking, action: str, **kwargs: Any) -> None:
    if action == "completed":
        aftercare_plan_create(booking=booking)
    elif action in ("cancelled", "no_show", "declined", "expired"):
        reminders_cancel_for_booking(booking=booking)
    elif action in PLANNING_ACTIONS and booking.status in VISITS_TO_REMIND:
        # The evening before, for a visit that is on (one waiting for clearance too: its
        # reminder says the clearance is still needed) …
        visit_tomorrow_schedule(booking=booking)
        if booking.status == Booking.Status.CONFIRMED:
            # … and the safety part of aftercare as soon as the visit is confirmed, so it does
            # not depend on anyone marking the visit completed.
            aftercare_plan_create(booking=booking, kinds=Reminder.AFTERCARE_SAFETY_KINDS)


def on_feedback_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A therapist's public profile shows their rating and approved comments.
    availability_changed(therapist_id=instance.therapist_id)
