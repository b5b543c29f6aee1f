"""Time zones: which zone a person reads times in, and checking a zone name.

Stored times are UTC. Clients and therapists each choose their zone; anyone else sees the
site's zone (``settings.TIME_ZONE``)."""

from __future__ import annotations

import zoneinfo
from datetime import date, tzinfo
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The US zones, named the way people say them; menus list these first, and core.timefmt names
# them this way.
US_ZONES: dict[str, Any] = {
    "America/New_York": _("Eastern Time"),
    "America/Chicago": _("Central Time"),
    "America/Denver": _("Mountain Time"),
    "America/Phoenix": _("Arizona Time"),
    "America/Los_Angeles": _("Pacific Time"),
    "America/Anchorage": _("Alaska Time"),
    "Pacific/Honolulu": _("Hawaii Time"),
}


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


# Old names kept by tzdata for compatibility ("US/Eastern", "Asia/Calcutta"): never offered.
_ALIAS_PREFIXES = (
    *("Etc/", "SystemV/", "posix/", "right/"),
    *("US/", "Canada/", "Mexico/", "Brazil/", "Chile/"),
)


def _zone_tab_text() -> str | None:
    """tzdata's zone.tab: the zones people pick, one line each, no old aliases."""
    for base in zoneinfo.TZPATH:
        path = Path(base) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return None


@lru_cache(maxsize=1)
def current_zone_names() -> tuple[str, ...]:
    """Every zone worth offering in a menu, sorted: zone.tab's names, else every known zone
    without the alias families."""
    text = _zone_tab_text()
    if text:
        names = {
            line.split("\t")[2]
            for line in text.splitlines()
            if line and not line.startswith("#") and len(line.split("\t")) > 2
        }
        names &= _known_zones()
    else:
        names = {z for z in _known_zones() if "/" in z and not z.startswith(_ALIAS_PREFIXES)}
    return tuple(sorted(names))


def time_zone_choices(current: str | None = None) -> list[tuple[str, Any]]:
    """A zone menu: the common US zones first, in words ("Eastern Time"), then every other
    current zone by region and city ("Europe / London"); no old aliases ("US/Eastern"). A
    ``current`` value missing from it (saved before) is kept, so it stays selected."""
    common = [(key, str(words)) for key, words in US_ZONES.items()]
    rest = [
        (z, z.replace("_", " ").replace("/", " / "))
        for z in current_zone_names()
        if z not in US_ZONES
    ]
    choices: list[tuple[str, Any]] = [
        (str(_("Common in the US")), common),
        (str(_("Everywhere else")), rest),
    ]
    if current and current not in US_ZONES and current not in current_zone_names():
        choices.append((str(_("Your current zone")), [(current, current.replace("_", " "))]))
    return choices
