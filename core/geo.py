"""Postcodes to coordinates, offline, and distances between two points.

The lookup uses the US ZIP table shipped inside the ``zipcodes`` package, so it needs no
network. Other countries: staff type the coordinates in admin, or a real geocoder is plugged
in by replacing :func:`lookup_postcode` (docs/therapists.md, "Geocoding").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

import zipcodes

EARTH_RADIUS_KM = 6371.0088
_ZIP_RE = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def normalise_postcode(postcode: str) -> str:
    return " ".join(postcode.upper().split())


def lookup_postcode(postcode: str) -> Point | None:
    """Coordinates of a postcode's centre, or None when it is not known offline."""
    match = _ZIP_RE.match(postcode or "")
    if not match:
        return None
    try:
        found = zipcodes.matching(match.group(1))
    except (ValueError, TypeError):
        return None
    if not found:
        return None
    return Point(float(found[0]["lat"]), float(found[0]["long"]))


def distance_km(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def point_or_none(
    latitude: Decimal | float | None, longitude: Decimal | float | None
) -> Point | None:
    if latitude is None or longitude is None:
        return None
    return Point(float(latitude), float(longitude))
