from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from booking.models import Booking
from booking.selectors import bookings_for_client
from booking.services import client_may_change
from clients.selectors import client_profile_for
from core.timefmt import TIME_FORMAT, local_label
from core.zones import zone_for

register = template.Library()


@register.filter
def in_zone(moment: datetime | None, zone: Any) -> str:
    """``{{ booking.starts_at|in_zone:client }}`` → "Mon, Dec 7, 10:00 AM" (core.timefmt)."""
    if moment is None:
        return ""
    return local_label(moment, zone)


@register.filter
def time_in_zone(moment: datetime | None, zone: Any) -> str:
    """Just the time: "10:00 AM"."""
    if moment is None:
        return ""
    return local_label(moment, zone, TIME_FORMAT)


@register.filter
def slot_value(moment: datetime) -> str:
    """The form/query value of a slot: UTC, second precision, no '+' to escape in a URL."""
    return timezone.localtime(moment, zoneinfo.ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


STATUS_BADGES: dict[str, str] = {
    Booking.Status.PENDING: "text-bg-warning",
    Booking.Status.CONFIRMED: "text-bg-success",
    Booking.Status.COMPLETED: "text-bg-primary",
    Booking.Status.DECLINED: "text-bg-secondary",
    Booking.Status.CANCELLED: "text-bg-secondary",
    Booking.Status.NO_SHOW: "text-bg-dark",
}


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-secondary")


EVENT_LABELS = {
    "created": gettext_lazy("Booked"),
    "confirmed": gettext_lazy("Confirmed by the therapist"),
    "declined": gettext_lazy("Declined"),
    "expired": gettext_lazy("Expired: the therapist did not answer in time"),
    "cancelled": gettext_lazy("Cancelled"),
    "completed": gettext_lazy("Marked completed"),
    "no_show": gettext_lazy("Marked as a no-show"),
    "rescheduled": gettext_lazy("Moved to a new time"),
}


@register.filter
def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action.replace("_", " ").capitalize()))


@register.filter
def event_actor(event: Any) -> str:
    """Who made a change, in words: the client, the therapist, staff, or the system."""
    actor = event.actor
    if actor is None:
        return _("HomeKnots (automatic)")
    booking = event.booking
    if actor.pk == booking.client.user_id:
        return _("%(name)s (client)") % {"name": actor.display_name}
    if actor.pk == booking.therapist.user_id:
        return _("%(name)s (therapist)") % {"name": booking.therapist.display_name}
    if actor.is_staff:
        return _("%(name)s (staff)") % {"name": actor.display_name}
    return actor.display_name


@dataclass
class VisitsPanel:
    upcoming: list[Booking] = field(default_factory=list)
    past: list[Booking] = field(default_factory=list)
    zone: tzinfo | None = None
    has_profile: bool = False


PAST_SHOWN = 10


@register.simple_tag
def client_visits(user: Any) -> VisitsPanel:
    """``{% client_visits user as panel %}``: the client's upcoming and recent visits."""
    profile = client_profile_for(user=user)
    if profile is None:
        return VisitsPanel(zone=zone_for(None))
    now = timezone.now()
    upcoming: list[Booking] = []
    past: list[Booking] = []
    for booking in bookings_for_client(client=profile).select_related("therapist__user"):
        if booking.is_active and booking.ends_at >= now:
            upcoming.append(booking)
        else:
            past.append(booking)
    past.sort(key=lambda b: b.starts_at, reverse=True)
    return VisitsPanel(
        upcoming=upcoming, past=past[:PAST_SHOWN], zone=zone_for(profile), has_profile=True
    )


@register.filter
def may_change(booking: Booking) -> bool:
    return client_may_change(booking)
