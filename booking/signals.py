"""How booking tells the apps above it that a visit changed, without importing them.

``booking_changed`` is sent by ``booking.services`` inside the transaction that makes the
change, right after its history row is written, so what a receiver writes (aftercare's plan of
reminders, the day-before reminder) commits or rolls back with the change: a completed visit
never ends up without its aftercare. Receivers only write rows; anything slow (rendering,
e-mail, a broker) happens after commit.

Arguments: ``booking`` (as it is after the change), ``event`` (its ``BookingEvent``),
``action`` ("created", "confirmed", "declined", "expired", "cancelled", "rescheduled",
"completed", "no_show"), ``previous_status``, ``previous_starts_at``, ``by_client`` (the
change was made by the client, or for them at their request: a cancellation the client asked
for, which payments may charge a late-cancel fee for, against one the therapist or the business
made, which refunds in full).
"""

from django.dispatch import Signal

booking_changed = Signal()
