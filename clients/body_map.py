"""The body map drawing: a front and a back figure, one clickable shape group per region in
:mod:`clients.body`.

The drawing is decoration for sighted mouse and touch users: it is ``aria-hidden`` and never
focusable. The real controls are the labelled checkboxes next to it (intake form) or the list of
areas under it (read-only map).

How it is drawn: one smooth body silhouette (head, neck, and a Catmull-Rom curve through the
outline points below) is used as a clip path; each region is a simple polygon that is clipped to
it, so regions follow the body's contour without hand-drawing every curve. Regions are painted in
order and a later one covers an earlier one where they overlap (arms over the torso, shoulders
over arms). Coordinates are in a 200 × 430 box; on the front view the client's right side is on
the viewer's left, on the back view the viewer sees the client's left on their left.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clients.body import REGION_BY_SLUG

WIDTH = 200
HEIGHT = 430

Point = tuple[float, float]

# The viewer's left half of the outline, from the base of the neck down the outside of the
# arm, back up its inside to the armpit, down the torso and the outside of the leg, and up the
# inside of the leg to the crotch. The right half is its mirror image.
_OUTLINE_LEFT: list[Point] = [
    (91, 64),
    (80, 69),
    (66, 75),
    (55, 82),
    (48, 93),
    (45, 108),
    (43, 128),
    (40, 150),
    (37, 173),
    (34, 200),
    (32, 226),
    (28, 241),
    (28, 257),
    (34, 268),
    (42, 265),
    (45, 252),
    (47, 236),
    (50, 213),
    (54, 186),
    (57, 160),
    (60, 136),
    (64, 115),
    (68, 104),
    (71, 120),
    (73, 140),
    (74, 160),
    (72, 178),
    (70, 197),
    (70, 222),
    (72, 250),
    (75, 279),
    (77, 302),
    (76, 322),
    (76, 346),
    (80, 372),
    (83, 391),
    (78, 403),
    (77, 414),
    (87, 419),
    (97, 416),
    (96, 403),
    (95, 391),
    (96, 369),
    (97, 346),
    (97, 322),
    (97, 304),
    (98, 279),
    (99, 250),
]
_CROTCH: Point = (100, 230)
HEAD = {"cx": 100, "cy": 28, "rx": 18, "ry": 21}
NECK = {"x": 90.5, "y": 42, "width": 19, "height": 28}


def _mirror_point(p: Point) -> Point:
    return (WIDTH - p[0], p[1])


def _smooth_closed_path(points: list[Point]) -> str:
    """A closed Catmull-Rom spline through ``points`` as cubic Béziers."""
    n = len(points)
    parts = [f"M{points[0][0]:g},{points[0][1]:g}"]
    for i in range(n):
        p0, p1, p2, p3 = (points[(i + k) % n] for k in (-1, 0, 1, 2))
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        parts.append(f"C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {p2[0]:g},{p2[1]:g}")
    return " ".join(parts) + "Z"


BODY_PATH = _smooth_closed_path(
    [*_OUTLINE_LEFT, _CROTCH, *[_mirror_point(p) for p in reversed(_OUTLINE_LEFT)]]
)


@dataclass(frozen=True)
class Shape:
    kind: str  # "polygon" or "ellipse"
    points: tuple[Point, ...] = ()
    ellipse: tuple[float, float, float, float] = (0, 0, 0, 0)  # cx, cy, rx, ry
    clip: str = "body"  # "body" or "head"

    def mirrored(self) -> Shape:
        if self.kind == "ellipse":
            cx, cy, rx, ry = self.ellipse
            return Shape("ellipse", ellipse=(WIDTH - cx, cy, rx, ry), clip=self.clip)
        return Shape("polygon", tuple(_mirror_point(p) for p in self.points), clip=self.clip)

    def markup(self) -> SafeString:
        if self.kind == "ellipse":
            cx, cy, rx, ry = self.ellipse
            return format_html('<ellipse cx="{}" cy="{}" rx="{}" ry="{}"/>', cx, cy, rx, ry)
        pts = " ".join(f"{x:g},{y:g}" for x, y in self.points)
        return format_html('<polygon points="{}"/>', pts)


def _poly(*points: Point, clip: str = "body") -> Shape:
    return Shape("polygon", tuple(points), clip=clip)


def _box(x1: float, y1: float, x2: float, y2: float) -> Shape:
    return _poly((x1, y1), (x2, y1), (x2, y2), (x1, y2))


_HEAD_SHAPE = Shape("ellipse", ellipse=(HEAD["cx"], HEAD["cy"], HEAD["rx"], HEAD["ry"]), clip="")
_NECK = _poly((85, 40), (115, 40), (117, 73), (83, 73))
# Torso and legs, viewer's left half (mirrored for the other side).
_CHEST = _box(70, 64, 100, 120)
_MID = _box(55, 120, 145, 150)  # front: the upper abdomen; back: mid back
_LOW = _box(55, 150, 145, 180)
_ABDOMEN = _box(55, 118, 145, 180)
_HIP = _poly((60, 178), (100, 178), (100, 204), (60, 218))
_THIGH_FRONT = _poly((60, 218), (100, 204), (100, 296), (60, 296))
_KNEE = _box(60, 296, 100, 320)
_SHIN = _box(60, 320, 100, 392)
_FOOT = _box(60, 392, 100, 425)
_GLUTE = _poly((60, 180), (100, 180), (100, 232), (60, 224))
_THIGH_BACK = _poly((60, 224), (100, 232), (100, 298), (60, 298))
_KNEE_BACK = _box(60, 298, 100, 320)
# Arms: their inner edge runs through the gap between the arm and the torso.
_ARM = _poly((30, 84), (70, 84), (69, 104), (65, 130), (62, 158), (30, 158))
_FOREARM_HAND = _poly((10, 158), (62, 158), (52, 240), (52, 285), (10, 285))
_SHOULDER = _poly((36, 58), (82, 62), (76, 100), (36, 104))
_JAW = _poly((74, 25), (91, 35), (97, 52), (74, 52), clip="head")


def _both(slug: str, shapes: list[Shape], *, viewer_left_is: str) -> list[tuple[str, list[Shape]]]:
    other = "left" if viewer_left_is == "right" else "right"
    return [
        (f"{slug}-{viewer_left_is}", shapes),
        (f"{slug}-{other}", [s.mirrored() for s in shapes]),
    ]


@dataclass(frozen=True)
class View:
    # (region slug or "" for a part that is not a region of this view, shapes), painted in order.
    layers: list[tuple[str, list[Shape]]] = field(default_factory=list)


# Front: the client faces the viewer, so their right side is on the viewer's left.
FRONT = View(
    [
        ("abdomen", [_ABDOMEN]),
        *_both("chest", [_CHEST], viewer_left_is="right"),
        *_both("hip", [_HIP], viewer_left_is="right"),
        *_both("thigh-front", [_THIGH_FRONT], viewer_left_is="right"),
        *_both("knee", [_KNEE], viewer_left_is="right"),
        ("", [_SHIN, _SHIN.mirrored()]),
        *_both("foot", [_FOOT], viewer_left_is="right"),
        *_both("arm", [_ARM], viewer_left_is="right"),
        *_both("forearm-hand", [_FOREARM_HAND], viewer_left_is="right"),
        *_both("shoulder", [_SHOULDER], viewer_left_is="right"),
        ("neck-front", [_NECK]),
        ("head", [_HEAD_SHAPE]),
        *_both("jaw", [_JAW], viewer_left_is="right"),
    ]
)

# Back: the viewer sees the client's back, so the client's left is on the viewer's left.
BACK = View(
    [
        ("", [_SHOULDER, _SHOULDER.mirrored()]),
        *_both("upper-back", [_CHEST], viewer_left_is="left"),
        ("mid-back", [_MID]),
        ("lower-back", [_LOW]),
        *_both("glute", [_GLUTE], viewer_left_is="left"),
        *_both("thigh-back", [_THIGH_BACK], viewer_left_is="left"),
        ("", [_KNEE_BACK, _KNEE_BACK.mirrored()]),
        *_both("calf", [_SHIN], viewer_left_is="left"),
        ("", [_FOOT, _FOOT.mirrored()]),
        ("", [_ARM, _ARM.mirrored(), _FOREARM_HAND, _FOREARM_HAND.mirrored()]),
        ("neck-back", [_NECK]),
        ("", [_HEAD_SHAPE]),
    ]
)

VIEWS: dict[str, View] = {"front": FRONT, "back": BACK}


def regions_drawn(view: str) -> list[str]:
    return [slug for slug, _shapes in VIEWS[view].layers if slug]


_ids = itertools.count(1)


def intensity_level(intensity: int | None) -> str:
    """Three bands for the read-only map's colours (legend in _body_map.html)."""
    if intensity is None:
        return "none"
    if intensity >= 7:
        return "high"
    if intensity >= 4:
        return "mid"
    return "low"


def _shapes_markup(shapes: list[Shape], uid: str) -> SafeString:
    out = []
    for shape in shapes:
        if shape.clip:
            out.append(
                format_html('<g clip-path="url(#{}-{})">{}</g>', uid, shape.clip, shape.markup())
            )
        else:
            out.append(shape.markup())
    return mark_safe("".join(out))


def render_svg(
    view: str,
    *,
    selected: Iterable[str] = (),
    intensities: Mapping[str, int] | None = None,
    referred: Iterable[str] = (),
    interactive: bool = False,
) -> SafeString:
    """One figure as inline SVG. ``selected`` regions are filled (by intensity band when
    ``intensities`` are given), ``referred`` ones hatched."""
    chosen = set(selected)
    hatched = set(referred) - chosen
    intensities = intensities or {}
    uid = f"bm{next(_ids)}"
    layers = []
    for slug, shapes in VIEWS[view].layers:
        if not slug:
            layers.append(format_html('<g class="bm-neutral">{}</g>', _shapes_markup(shapes, uid)))
            continue
        classes = ["bm-region"]
        if slug in chosen:
            classes += ["is-selected", f"bm-level-{intensity_level(intensities.get(slug))}"]
        # A hatched region's shapes inherit this fill (body-map.css: .is-referred * inherits);
        # a presentation attribute, so no style="" and no <style> for the CSP to refuse.
        fill = ""
        if slug in hatched:
            classes.append("is-referred")
            fill = format_html(' fill="url(#{}-hatch)"', uid)
        layers.append(
            format_html(
                '<g class="{}" data-region="{}"{}><title>{}</title>{}</g>',
                " ".join(classes),
                slug,
                fill,
                REGION_BY_SLUG[slug].label,
                _shapes_markup(shapes, uid),
            )
        )
    right, left = _("R"), _("L")
    side_left, side_right = (right, left) if view == "front" else (left, right)
    return format_html(
        '<svg class="bm-svg bm-{view}{interactive}" viewBox="0 0 {w} {h}" aria-hidden="true" '
        'focusable="false" data-view="{view}">'
        "<defs>"
        '<clipPath id="{uid}-body"><ellipse cx="{hcx}" cy="{hcy}" rx="{hrx}" ry="{hry}"/>'
        '<rect x="{nx}" y="{ny}" width="{nw}" height="{nh}"/><path d="{body}"/></clipPath>'
        '<clipPath id="{uid}-head"><ellipse cx="{hcx}" cy="{hcy}" rx="{hrx}" ry="{hry}"/>'
        "</clipPath>"
        '<pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="bm-hatch-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="bm-hatch-line"/></pattern>'
        "</defs>"
        "{layers}"
        '<g class="bm-outline"><ellipse cx="{hcx}" cy="{hcy}" rx="{hrx}" ry="{hry}"/>'
        '<path d="{body}"/><path d="M{nx},{ny}V{nb}M{nx2},{ny}V{nb}"/></g>'
        '<text x="12" y="70" class="bm-side">{side_left}</text>'
        '<text x="188" y="70" class="bm-side">{side_right}</text>'
        "</svg>",
        view=view,
        interactive=" bm-interactive" if interactive else "",
        w=WIDTH,
        h=HEIGHT,
        uid=uid,
        hcx=HEAD["cx"],
        hcy=HEAD["cy"],
        hrx=HEAD["rx"],
        hry=HEAD["ry"],
        nx=NECK["x"],
        ny=NECK["y"],
        nw=NECK["width"],
        nh=NECK["height"],
        nx2=NECK["x"] + NECK["width"],
        nb=NECK["y"] + NECK["height"] - 4,
        body=BODY_PATH,
        layers=mark_safe("".join(layers)),
        side_left=side_left,
        side_right=side_right,
    )
