from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

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
    """ "America/New_York" -> "New York time (America/New_York)"."""
    name = str(zone)
    city = name.rsplit("/", 1)[-1].replace("_", " ")
    return _("%(city)s time (%(zone)s)") % {"city": city, "zone": name}


@register.filter
def time_off_span(block: Any, zone: Any) -> str:
    """A time-off block in words, in ``zone``: whole days as dates, a block as times."""
    tz = zoneinfo.ZoneInfo(str(zone))
    start, end = block.starts_at.astimezone(tz), block.ends_at.astimezone(tz)
    if start.time() == end.time() == dt.time(0):
        last = (end - dt.timedelta(days=1)).date()
        if last == start.date():
            return _("%(day)s, all day") % {"day": date_format(start, "D j M Y")}
        return _("%(first)s – %(last)s, all days") % {
            "first": date_format(start, "D j M"),
            "last": date_format(last, "D j M Y"),
        }
    if start.date() == end.date():
        return f"{date_format(start, 'D j M Y')}, {start:%H:%M}–{end:%H:%M}"
    first, last = date_format(start, "D j M Y"), date_format(end, "D j M Y")
    return f"{first}, {start:%H:%M} – {last}, {end:%H:%M}"
