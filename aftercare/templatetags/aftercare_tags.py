"""Template tags for aftercare panels: the client's own dashboard panel, a therapist's public
rating, and filters to show reminders. Health data reaches other people's pages only through
the selectors (``aftercare.selectors``), which apply the health-data rule and log the look."""

from __future__ import annotations

from typing import Any

from django import template

from clients.body import region_label
from clients.selectors import client_profile_for

from .. import selectors
from ..messages import client_tz, local_label
from ..models import Reminder

register = template.Library()


@register.simple_tag
def aftercare_dashboard(user: Any) -> selectors.DashboardPanel | None:
    """``{% aftercare_dashboard user as panel %}``: None unless ``user`` is a client."""
    client = client_profile_for(user=user)
    if client is None:
        return None
    return selectors.dashboard_panel(client=client)


@register.simple_tag
def therapist_rating(therapist: Any) -> dict[str, Any]:
    """``{% therapist_rating therapist as rating %}``: average, count and approved comments."""
    rating = selectors.therapist_rating(therapist=therapist)
    return {
        "average": rating.average,
        "count": rating.count,
        "reviews": selectors.therapist_reviews(therapist=therapist),
    }


@register.filter
def local_time(moment: Any, client: Any) -> str:
    """A moment in the client's time zone with the zone named."""
    if moment is None:
        return ""
    return local_label(moment, client_tz(client))


@register.filter
def region(slug: str) -> str:
    return region_label(slug)


@register.filter
def region_labels(slugs: Any) -> str:
    return ", ".join(region_label(s) for s in (slugs or []))


@register.filter
def reminder_badge(reminder: Reminder) -> str:
    badges: dict[str, str] = {
        Reminder.Status.SENT: "success",
        Reminder.Status.FAILED: "warning",
        Reminder.Status.SKIPPED: "secondary",
    }
    return badges.get(reminder.status, "secondary")
