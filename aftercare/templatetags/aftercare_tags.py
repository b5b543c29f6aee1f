"""Template tags other apps' pages use to show aftercare: the client's dashboard panel, the
progress charts, a therapist's rating, and the aftercare box on the therapist's visit page."""

from __future__ import annotations

from typing import Any

from django import template

from clients.body import region_label

from .. import selectors
from ..charts import AreaChart
from ..messages import client_tz, local_label
from ..models import Reminder

register = template.Library()


@register.simple_tag
def aftercare_dashboard(user: Any) -> selectors.DashboardPanel | None:
    """``{% aftercare_dashboard user as panel %}``: None unless ``user`` is a client."""
    from clients.selectors import client_profile_for

    client = client_profile_for(user=user)
    if client is None:
        return None
    return selectors.dashboard_panel(client=client)


@register.simple_tag
def aftercare_progress(client: Any) -> list[AreaChart]:
    """``{% aftercare_progress client as charts %}``; the includer decides who may see it."""
    if client is None:
        return []
    return selectors.progress_for_client(client=client)


@register.simple_tag
def therapist_rating(therapist: Any) -> dict[str, Any]:
    """``{% therapist_rating therapist as rating %}``: average, count and approved comments."""
    rating = selectors.therapist_rating(therapist=therapist)
    return {
        "average": rating.average,
        "count": rating.count,
        "reviews": selectors.therapist_reviews(therapist=therapist),
    }


@register.simple_tag
def visit_aftercare(booking: Any, user: Any) -> dict[str, Any]:
    """For the therapist's visit page: may ``user`` write/read this visit's notes, the notes
    and feedback they may read about this client, and this visit's reminders."""
    access = selectors.note_access(booking=booking, user=user)
    reminders = list(booking.reminders.order_by("due_at")) if access else []
    return {
        "access": access,
        "note": getattr(booking, "session_note", None) if access else None,
        "history": list(
            selectors.notes_visible_to(client=booking.client, user=user).exclude(booking=booking)[
                :5
            ]
        ),
        "feedback": list(selectors.feedback_visible_to(client=booking.client, user=user)[:5]),
        "reminders": reminders,
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
    return {
        Reminder.Status.SENT: "success",
        Reminder.Status.FAILED: "warning",
        Reminder.Status.SKIPPED: "secondary",
    }.get(reminder.status, "secondary")
