"""Showing times to people: one helper for every page and e-mail.

A time is always shown in the reader's zone with the zone named ("Mon 7 Dec, 10:00 EST")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from core.zones import zone_for

# "Mon 7 Dec, 10:00 EST": short, unambiguous on a phone, and the zone is always named.
SLOT_FORMAT = "D j M, H:i T"
TIME_FORMAT = "H:i T"


def local_label(moment: datetime, zone: Any, fmt: str = SLOT_FORMAT) -> str:
    """``moment`` as wall time in ``zone`` (a tzinfo, a zone name or a profile)."""
    return date_format(timezone.localtime(moment, zone_for(zone)), fmt)
