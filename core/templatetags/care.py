"""``{% load care %}{% doctor_threshold %}``: the see-a-doctor threshold, said one way."""

from __future__ import annotations

from django import template

from core.care import DOCTOR_THRESHOLD, DOCTOR_THRESHOLD_FOR_THERAPIST

register = template.Library()


@register.simple_tag
def doctor_threshold(audience: str = "client") -> str:
    return str(DOCTOR_THRESHOLD_FOR_THERAPIST if audience == "therapist" else DOCTOR_THRESHOLD)
