"""Presenters for the booking pages: turn what the selectors return (free times, offers) into
what a page shows (days, links, labels in the viewer's zone). No rules here: which times are
free is ``booking.selectors``'s answer; this only arranges it."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.selectors import SlotOffer, available_slots
from clients.models import ClientProfile
from core.inputs import MAX_ID, parse_date, parse_int
from core.timefmt import format_time, zone_name
from therapists.models import Service

# How many days the slot picker shows at once, and how many "first available" offers.
DAYS_SHOWN = 14
FIRST_AVAILABLE_SHOWN = 6
ALTERNATIVES_SHOWN = 6


def url(name: str, params: dict[str, Any] | None = None, **kwargs: Any) -> str:
    url = reverse(name, kwargs=kwargs or None)
    clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    return f"{url}?{urlencode(clean)}" if clean else url


def to_int(value: Any) -> int | None:
    """A whole number from a query that fits a 64-bit integer, or None."""
    return parse_int(value, lo=-MAX_ID, hi=MAX_ID)


def to_date(value: str | None) -> dt.date | None:
    """A YYYY-MM-DD date within ``core.inputs``' range, or None (never an exception)."""
    return parse_date(value)


def local_today(zone: dt.tzinfo) -> dt.date:
    return timezone.localtime(timezone.now(), zone).date()


@dataclass(frozen=True)
class DayLink:
    day: dt.date
    count: int
    url: str
    selected: bool


@dataclass(frozen=True)
class SlotLink:
    starts_at: dt.datetime
    label: str
    url: str


@dataclass
class SlotPicker:
    """A fortnight of days in the client's zone, and the free times of the chosen one."""

    days: list[DayLink]
    day: dt.date | None
    slots: list[SlotLink]
    earlier_url: str
    later_url: str
    zone: dt.tzinfo
    zone_name: str


def slot_picker(
    *,
    service: Service,
    client: ClientProfile | None,
    zone: dt.tzinfo,
    first_day: dt.date | None,
    day: dt.date | None,
    page_url: Any,
    slot_url: Any,
    exclude_booking: Booking | None = None,
) -> SlotPicker:
    """Free times grouped by the client's local date. The slot engine works in the therapist's
    dates, so one call covers the client's fortnight plus a day either side."""
    therapist = service.therapist
    today = local_today(zone)
    last_day = today + dt.timedelta(weeks=settings.BOOKING_HORIZON_WEEKS)
    first_day = min(max(first_day or today, today), last_day)
    slots = available_slots(
        therapist=therapist,
        service=service,
        start_date=first_day - dt.timedelta(days=1),
        days=DAYS_SHOWN + 2,
        client=client,
        exclude_booking=exclude_booking,
    )
    by_day: OrderedDict[dt.date, list[dt.datetime]] = OrderedDict(
        (first_day + dt.timedelta(days=i), []) for i in range(DAYS_SHOWN)
    )
    for slot in slots:
        local_day = timezone.localtime(slot, zone).date()
        if local_day in by_day:
            by_day[local_day].append(slot)
    if day not in by_day:
        day = next((d for d, s in by_day.items() if s), None)
    days = [DayLink(d, len(s), page_url(first_day, d), d == day) for d, s in by_day.items()]
    chosen = by_day.get(day, []) if day else []
    earlier = first_day - dt.timedelta(days=DAYS_SHOWN)
    later = first_day + dt.timedelta(days=DAYS_SHOWN)
    return SlotPicker(
        days=days,
        day=day,
        slots=[SlotLink(s, format_time(s, zone), slot_url(s)) for s in chosen],
        earlier_url=page_url(max(earlier, today), None) if first_day > today else "",
        later_url=page_url(later, None) if later <= last_day else "",
        zone=zone,
        zone_name=zone_name(zone),
    )


def next_free(
    *,
    service: Service,
    client: ClientProfile | None,
    after: dt.datetime | None,
    exclude_booking: Booking | None = None,
) -> list[dt.datetime]:
    """The next free times of this service, from the day of ``after`` (or today) on."""
    therapist = service.therapist
    now = timezone.now()
    start = max(after or now, now)
    slots = available_slots(
        therapist=therapist,
        service=service,
        start_date=timezone.localtime(start, therapist.tz).date(),
        days=DAYS_SHOWN,
        client=client,
        exclude_booking=exclude_booking,
    )
    return [s for s in slots if after is None or s >= start][:ALTERNATIVES_SHOWN] or slots[
        :ALTERNATIVES_SHOWN
    ]


# "First available" offers a choice, not six quarter-hours in a row with one therapist.
OFFER_SPREAD = dt.timedelta(minutes=60)


def spread(offers: list[SlotOffer], count: int) -> list[SlotOffer]:
    """The soonest offers, skipping any within an hour of one already shown for the same
    therapist."""
    chosen: list[SlotOffer] = []
    for offer in offers:
        if any(
            c.therapist.pk == offer.therapist.pk
            and abs(c.starts_at - offer.starts_at) < OFFER_SPREAD
            for c in chosen
        ):
            continue
        chosen.append(offer)
        if len(chosen) == count:
            break
    return chosen
