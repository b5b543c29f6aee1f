"""Background work for booking: letting unanswered bookings go (requests the therapist did
not answer, visits whose clearance was never recorded)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from booking.models import Booking
from booking.services import booking_expire

logger = logging.getLogger(__name__)

# Enough for any real backlog in one run; the next run (5 minutes later) takes the rest.
BATCH = 200


@shared_task
def expire_pending_bookings() -> int:
    """Decline every pending booking whose hold has passed, and e-mail its client. Run by beat
    every 5 minutes. Safe to run twice or in parallel: ``booking_expire`` is a conditional
    update, so a booking the therapist confirmed meanwhile, or another run expired, is
    skipped. Returns how many this run expired."""
    now = timezone.now()
    due = list(
        Booking.objects.filter(status__in=Booking.UNANSWERED_STATUSES, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    expired = 0
    for booking in Booking.objects.filter(pk__in=due):
        if booking_expire(booking=booking, now=now) is not None:
            expired += 1
    if expired:
        logger.info("expired %s pending booking(s)", expired)
    return expired
