from __future__ import annotations

import re

from django.template.loader import render_to_string

from clients.body import REGIONS
from clients.body_map import regions_drawn, render_svg


def test_it_draws_every_region_exactly_once_on_its_own_view():
    for view in ("front", "back"):
        drawn = regions_drawn(view)
        assert len(drawn) == len(set(drawn))
        assert set(drawn) == {r.slug for r in REGIONS if r.view == view}


def test_the_drawing_is_hidden_from_assistive_technology_and_not_focusable():
    svg = str(render_svg("front", interactive=True))
    assert 'aria-hidden="true"' in svg
    assert 'focusable="false"' in svg
    assert "tabindex" not in svg


def test_it_fills_selected_areas_by_intensity_and_hatches_where_pain_travels():
    svg = str(
        render_svg(
            "back",
            selected=["upper-back-right", "calf-left"],
            intensities={"upper-back-right": 8, "calf-left": 2},
            referred=["glute-left"],
        )
    )
    assert re.search(
        r'class="bm-region is-selected bm-level-high" data-region="upper-back-right"', svg
    )
    assert re.search(r'class="bm-region is-selected bm-level-low" data-region="calf-left"', svg)
    assert 'class="bm-region is-referred" data-region="glute-left"' in svg
    assert 'class="bm-region" data-region="mid-back"' in svg


def test_each_drawing_has_its_own_ids_so_two_maps_can_share_a_page():
    a, b = str(render_svg("front")), str(render_svg("front"))
    ids_a = set(re.findall(r'id="([^"]+)"', a))
    ids_b = set(re.findall(r'id="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b


def test_the_read_only_map_says_in_words_what_it_shows():
    html = render_to_string(
        "clients/_body_map.html",
        {"selected": ["neck-back", "jaw-left"], "intensities": {"neck-back": 6, "jaw-left": 3}},
    )
    assert "Jaw (left): 3/10" in html
    assert "Back of the neck: 6/10" in html
    assert html.index("Jaw (left)") < html.index("Back of the neck")  # body order, front first
    assert "is-selected bm-level-mid" in html


def test_the_read_only_map_with_nothing_marked_says_so():
    html = render_to_string("clients/_body_map.html", {"selected": [], "intensities": {}})
    assert "No painful areas marked." in html


def test_the_drawing_needs_no_inline_style_so_the_csp_lets_it_render():
    svg = str(render_svg("back", selected=["mid-back"], referred=["glute-left"], interactive=True))
    assert "style=" not in svg
    assert "<style" not in svg
    # The hatch is a presentation attribute pointing at this drawing's own pattern; body-map.css
    # makes the region's shapes inherit it. The hand cursor comes from the svg's class.
    uid = re.search(r'<pattern id="(bm\d+)-hatch"', svg).group(1)
    assert f'data-region="glute-left" fill="url(#{uid}-hatch)"' in svg
    assert 'class="bm-svg bm-back bm-interactive"' in svg
    assert "bm-interactive" not in str(render_svg("back"))
