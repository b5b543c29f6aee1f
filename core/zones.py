"""Time zones: which zone a person reads times in, and checking a zone name.

Stored times are UTC. Clients and therapists each choose their zone; anyone else sees the
site's zone (``settings.TIME_ZONE``)."""

from __future__ import annotations

import zoneinfo
from datetime import date, tzinfo
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _known_zones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def zone_for(value: Any) -> tzinfo:
    """A tzinfo from a zone, a zone name, or anything with ``time_zone`` (a client or
    therapist profile); the site's zone when nothing usable is given."""
    if isinstance(value, tzinfo):
        return value
    name = getattr(value, "time_zone", value) or settings.TIME_ZONE
    try:
        return _zone(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return site_zone()


def viewer_zone(user: Any) -> tzinfo:
    """The zone a signed-in person reads times in: their client or therapist profile's zone,
    else the site's."""
    if getattr(user, "is_authenticated", False):
        for attr in ("client_profile", "therapist_profile"):
            try:
                return zone_for(getattr(user, attr))
            except ObjectDoesNotExist:
                continue
    return site_zone()


def local_today(value: Any) -> date:
    """Today's date in ``value``'s zone (anything :func:`zone_for` takes)."""
    return timezone.localdate(timezone=zone_for(value))
