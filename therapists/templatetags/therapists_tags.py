from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import template
from django.utils.translation import gettext as _

from core.timefmt import format_date, format_date_range, format_range, format_time_range, zone_name

register = template.Library()


@register.filter
def price_range(entry: Any) -> str:
    low, high = entry.price_min, entry.price_max
    if low is None:
        return ""
    if low == high:
        return f"${low:,.0f}"
    return f"${low:,.0f}–${high:,.0f}"


@register.filter
def zone_label(zone: Any) -> str:
    """ "America/New_York" -> "Eastern Time" (core.timefmt names every zone)."""
    return zone_name(str(zone))


@register.filter
def time_off_span(block: Any, zone: Any) -> str:
    """A time-off block in words, in ``zone``: whole days as dates, a block as times."""
    tz = zoneinfo.ZoneInfo(str(zone))
    start, end = block.starts_at.astimezone(tz), block.ends_at.astimezone(tz)
    if start.time() == end.time() == dt.time(0):
        last = (end - dt.timedelta(days=1)).date()
        if last == start.date():
            return _("%(day)s, all day") % {"day": format_date(start.date(), year=True)}
        return _("%(days)s, all days") % {"days": format_date_range(start.date(), last, zone=tz)}
    if start.date() == end.date():
        day = format_date(start.date(), year=True)
        return f"{day}, {format_time_range(start.time(), end.time())}"
    return format_range(start, end, tz)
