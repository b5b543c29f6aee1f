"""``{% load units %}{{ entry.distance_km|distance:postcode }}``: "3.2 mi" for a US address."""

from __future__ import annotations

from django import template

from core.units import format_distance

register = template.Library()


@register.filter
def distance(km: float | None, postcode: str | None = None) -> str:
    if km is None or km == "":
        return ""
    return format_distance(float(km), postcode=postcode)
