"""The body regions a client can mark on the intake's body map, and later a therapist on
session notes. Slugs are stored; labels are shown. ``view`` says which drawing (front or back)
holds the region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Region:
    slug: str
    label: StrOrPromise
    view: str  # "front" or "back"


def _sides(slug: str, label: StrOrPromise, view: str) -> list[Region]:
    return [
        Region(f"{slug}-left", _("%(part)s (left)") % {"part": label}, view),
        Region(f"{slug}-right", _("%(part)s (right)") % {"part": label}, view),
    ]


REGIONS: list[Region] = [
    Region("head", _("Head and temples"), "front"),
    *_sides("jaw", _("Jaw"), "front"),
    Region("neck-front", _("Front of the neck"), "front"),
    *_sides("chest", _("Chest"), "front"),
    *_sides("shoulder", _("Shoulder"), "front"),
    *_sides("arm", _("Upper arm"), "front"),
    *_sides("forearm-hand", _("Forearm and hand"), "front"),
    Region("abdomen", _("Abdomen"), "front"),
    *_sides("hip", _("Hip"), "front"),
    *_sides("thigh-front", _("Front of the thigh"), "front"),
    *_sides("knee", _("Knee"), "front"),
    *_sides("foot", _("Foot"), "front"),
    Region("neck-back", _("Back of the neck"), "back"),
    *_sides("upper-back", _("Upper back"), "back"),
    Region("mid-back", _("Mid back"), "back"),
    Region("lower-back", _("Lower back"), "back"),
    *_sides("glute", _("Glute"), "back"),
    *_sides("thigh-back", _("Back of the thigh"), "back"),
    *_sides("calf", _("Calf"), "back"),
]

REGION_BY_SLUG: dict[str, Region] = {r.slug: r for r in REGIONS}
REGION_CHOICES: list[tuple[str, StrOrPromise]] = [(r.slug, r.label) for r in REGIONS]


def region_label(slug: str) -> str:
    region = REGION_BY_SLUG.get(slug)
    return str(region.label) if region else slug
