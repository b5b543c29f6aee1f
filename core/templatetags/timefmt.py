"""``{% load timefmt %}``: the template side of :mod:`core.timefmt`.

``{{ moment|when:zone }}`` "Mon, Nov 30, 9:00 AM" · ``{{ moment|clock:zone }}`` "9:00 AM" ·
``{{ day|day }}`` "Mon, Nov 30" · ``{% time_range start end zone %}`` "Mon, Nov 30, 9:00–10:00 AM"
· ``{{ zone|zone_words }}`` "Eastern Time" · ``{% zone_note zone %}`` "Times are in Eastern Time."
· ``{{ moment|iso }}`` for ``<time datetime>``. ``zone`` is a profile, a zone name or a tzinfo;
pages have the viewer's as ``viewer_zone``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core import timefmt

register = template.Library()


@register.filter
def when(moment: datetime | None, zone: Any = None) -> str:
    if moment is None:
        return ""
    return timefmt.format_datetime(moment, zone)


@register.filter
def clock(value: datetime | time | None, zone: Any = None) -> str:
    if value is None or value == "":
        return ""
    return timefmt.format_time(value, zone)


@register.filter
def day(value: date | datetime | None, zone: Any = None) -> str:
    if value is None or value == "":
        return ""
    return timefmt.format_date(value, zone=zone)


@register.filter
def day_with_year(value: date | datetime | None, zone: Any = None) -> str:
    if value is None or value == "":
        return ""
    return timefmt.format_date(value, zone=zone, year=True)


@register.filter
def weekday(value: date | None) -> str:
    return "" if value is None else timefmt.format_weekday(value)


@register.filter
def short_day(value: date | None) -> str:
    return "" if value is None else timefmt.format_short_date(value)


@register.filter
def long_day(value: date | datetime | None, zone: Any = None) -> str:
    if value is None or value == "":
        return ""
    return timefmt.format_long_date(value, zone=zone)


@register.filter
def time_value(value: time | str | None) -> str:
    """An ``<input type="time">`` value ("14:30"): for the browser, not for reading."""
    if value is None or value == "":
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


@register.filter
def month(value: date | datetime | None) -> str:
    if value is None or value == "":
        return ""
    return timefmt.format_month(value)


@register.filter
def iso(value: date | datetime | None) -> str:
    """For ``<time datetime="…">``: machine-readable, never shown."""
    if value is None or value == "":
        return ""
    return value.isoformat()


@register.simple_tag(takes_context=True)
def viewer_when(context: template.Context, moment: datetime | None) -> str:
    """``{% viewer_when moment %}``: like ``|when:viewer_zone``, for a partial that may be
    rendered without a request (then in the site's zone)."""
    if moment is None:
        return ""
    return timefmt.format_datetime(moment, context.get("viewer_zone"))


@register.simple_tag
def time_range(start: datetime | None, end: datetime | None, zone: Any = None) -> str:
    if start is None:
        return ""
    if end is None:
        return timefmt.format_datetime(start, zone)
    return timefmt.format_range(start, end, zone)


@register.simple_tag
def clock_range(start: datetime, end: datetime, zone: Any = None) -> str:
    """Only the times of two moments: "9:00–10:00 AM"."""
    return timefmt.format_time_range(timefmt.local_time(start, zone), timefmt.local_time(end, zone))


@register.simple_tag
def hours_range(start: time, end: time) -> str:
    return timefmt.format_time_range(start, end)


@register.filter
def zone_words(zone: Any) -> str:
    return timefmt.zone_name(zone)


@register.simple_tag
def zone_note(zone: Any = None) -> SafeString:
    """The one line that names the reader's zone on a page that shows times."""
    return format_html(
        '<p class="small text-body-secondary mb-2" data-testid="zone-note">{}</p>',
        _("Times are in %(zone)s.") % {"zone": timefmt.zone_name(zone)},
    )
