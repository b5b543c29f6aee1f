from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.utils.safestring import SafeString

from clients import body_map
from clients.body import REGIONS, region_label
from clients.selectors import IntakeStatus, client_profile_for, intake_status, pain_areas_sorted

register = template.Library()


@register.simple_tag
def body_map_svg(
    view: str,
    selected: Iterable[str] | None = None,
    intensities: Mapping[str, int] | None = None,
    referred: Iterable[str] | None = None,
    interactive: bool = False,
) -> SafeString:
    """``{% body_map_svg "front" selected intensities referred %}``: one figure, aria-hidden."""
    return body_map.render_svg(
        view,
        selected=selected or (),
        intensities=intensities or {},
        referred=referred or (),
        interactive=interactive,
    )


@register.simple_tag
def body_map_areas(
    selected: Iterable[str] | None = None, intensities: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The selected areas in body order with labels and intensities, for the text list that
    says in words what the drawing shows."""
    chosen = set(selected or ())
    intensities = intensities or {}
    return [
        {
            "slug": r.slug,
            "label": r.label,
            "intensity": intensities.get(r.slug),
            "level": body_map.intensity_level(intensities.get(r.slug)),
        }
        for r in REGIONS
        if r.slug in chosen
    ]


@register.simple_tag
def client_intake_status(user: Any) -> IntakeStatus:
    return intake_status(client=client_profile_for(user=user))


@register.simple_tag
def sorted_pain_areas(intake: Any) -> list[Any]:
    return pain_areas_sorted(intake=intake)


@register.filter
def region_name(slug: str) -> str:
    return region_label(slug)


@register.filter
def region_names(slugs: Iterable[str]) -> str:
    return ", ".join(region_label(s) for s in slugs or ())
