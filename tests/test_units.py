"""Distances in the reader's units (core.units)."""

from __future__ import annotations

from core.units import format_distance, uses_miles


def test_a_us_zip_reads_miles():
    assert uses_miles("10001")
    assert format_distance(5.0, postcode="10001") == "3.1 mi"
    assert format_distance(32.2, postcode="10001") == "20 mi"


def test_elsewhere_reads_kilometres():
    assert not uses_miles("SW1A 1AA")
    assert format_distance(5.0, postcode="SW1A 1AA") == "5.0 km"
    assert format_distance(25.4, postcode="SW1A 1AA") == "25 km"
