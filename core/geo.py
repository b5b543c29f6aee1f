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


@dataclass(frozen=True)
class PostcodePlace:
    point: Point
    city: str
    state: str
    time_zone: str


_PLACES: dict[str, PostcodePlace] | None = None


def preload() -> dict[str, PostcodePlace]:
    """Index the ZIP table (42,000 rows, about half a second) once per process. Workers
    call it when they start (gunicorn's ``post_worker_init``; Celery's ``worker_init``, in the
    main process, so its pool processes are forked with it), so no visitor's request pays for
    it; anything else loads it on first use."""
    global _PLACES
    if _PLACES is None:
        places: dict[str, PostcodePlace] = {}
        for row in zipcodes.list_all():
            if row["zip_code"] not in places and row.get("lat") and row.get("long"):
                places[row["zip_code"]] = PostcodePlace(
                    Point(float(row["lat"]), float(row["long"])),
                    row.get("city") or "",
                    row.get("state") or "",
                    row.get("timezone") or "",
                )
        _PLACES = places
    return _PLACES


def lookup_place(postcode: str) -> PostcodePlace | None:
    """What the ZIP table says about a postcode, or None when it is not known offline."""
    match = _ZIP_RE.match(postcode or "")
    if not match:
        return None
    return preload().get(match.group(1))


# USPS codes of the states, DC and the territories the ZIP table covers, with their names.
US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "FM": "Micronesia",
    "MH": "Marshall Islands", "PW": "Palau",
    "AA": "Armed Forces Americas", "AE": "Armed Forces Europe", "AP": "Armed Forces Pacific",
}  # fmt: skip


def state_for_postcode(postcode: str) -> str | None:
    """The USPS state code of a US ZIP ("NY" for 10001), or None when the ZIP is unknown."""
    place = lookup_place(postcode)
    return place.state or None if place is not None else None


def lookup_postcode(postcode: str) -> Point | None:
    """Coordinates of a postcode's centre, or None when it is not known offline."""
    place = lookup_place(postcode)
    return place.point if place is not None else None


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
