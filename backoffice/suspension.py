"""Suspending a therapist, and what happens to their booked visits.

The suspension itself is the therapists app's (``therapists.services.therapist_suspend``: off
the directory and off new bookings). Cancelling the visits already booked is a booking change,
so it goes through ``booking.services.booking_cancel`` like every other cancellation (history,
the client's e-mail with the reason, reminders cancelled, money settled): that is why this
lives here, above both apps, and not in ``therapists``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from booking.models import Booking
from booking.services import BookingRefused, booking_cancel
from therapists.models import TherapistProfile
from therapists.services import therapist_suspend


@dataclass
class SuspendOutcome:
    suspended: bool
    kept: int = 0
    cancelled: list[Booking] = field(default_factory=list)
    refused: list[tuple[Booking, str]] = field(default_factory=list)


def future_visits(*, profile: TherapistProfile, now: dt.datetime | None = None) -> list[Booking]:
    """The therapist's visits still to come that hold a time (requests included)."""
    now = now or timezone.now()
    return list(
        Booking.objects.filter(
            therapist=profile, status__in=Booking.ACTIVE_STATUSES, starts_at__gt=now
        ).select_related("client__user", "therapist__user", "service")
    )


def therapist_suspend_with_visits(
    *,
    profile: TherapistProfile,
    actor: User,
    cancel_visits: bool,
    reason: str = "",
    now: dt.datetime | None = None,
) -> SuspendOutcome:
    """Suspend ``profile``; then keep their future visits, or cancel each one for the business
    with ``reason`` (shown to the client in the cancellation e-mail).

    Steps: suspend first, so no new booking can slip in while the visits are cancelled; then
    one ``booking_cancel`` per visit, each in its own transaction, so a visit that changed
    meanwhile (say, the client cancelled it) is reported and the others still go ahead."""
    reason = reason.strip()
    if cancel_visits and not reason:
        raise ValidationError(_("Say why: the reason is in the e-mail each client receives."))
    outcome = SuspendOutcome(suspended=therapist_suspend(profile=profile))
    visits = future_visits(profile=profile, now=now)
    if not cancel_visits:
        outcome.kept = len(visits)
        return outcome
    for booking in visits:
        try:
            booking_cancel(booking=booking, actor=actor, reason=reason, now=now)
        except BookingRefused as exc:
            outcome.refused.append((booking, str(exc)))
        else:
            outcome.cancelled.append(booking)
    return outcome
