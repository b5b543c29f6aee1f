"""Distances in the reader's units: miles for a US address, kilometres elsewhere.

Distances are computed and stored in kilometres (core.geo); only what is shown changes. An
address is American when its postcode is in the US ZIP table (core.geo)."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.geo import lookup_place, normalise_postcode

KM_PER_MILE = 1.609344


def uses_miles(postcode: str | None) -> bool:
    """True for a US ZIP code (and when nothing is known: the product serves the US)."""
    if not postcode:
        return True
    return lookup_place(normalise_postcode(postcode)) is not None


def _number(value: float) -> str:
    # One decimal below 10 ("3.2"), whole numbers above ("25").
    return number_format(value, 1 if value < 10 else 0)


def format_distance(km: float, *, postcode: str | None = None) -> str:
    """ "3.2 mi" for a US address, "5.1 km" elsewhere."""
    if uses_miles(postcode):
        return _("%(n)s mi") % {"n": _number(km / KM_PER_MILE)}
    return _("%(n)s km") % {"n": _number(km)}
