"""Where the pain travels, marked on the drawing: first by tapping it (touch), then by keyboard
alone. Either way the drawing hatches the areas the pain travels to, a screen reader hears
each change, and the saved intake holds exactly what was marked. Phone width."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Intake
from tests.browser.conftest import PHONE, POLICY_PROBLEM, check_a11y, login
from tests.factories import PASSWORD, ClientProfileFactory


def _region(page, view: str, slug: str):
    return page.locator(f'svg[data-view="{view}"] [data-region="{slug}"]')


def _finish_and_save(page) -> None:
    page.get_by_label("Chronic back or neck pain").check()
    page.get_by_label("Medium").check()
    last = timezone.localdate() - dt.timedelta(days=30)
    page.get_by_label("Date of your last massage").fill(last.isoformat())
    page.get_by_label("None of these apply to me").check()
    page.get_by_label("I consent to trigger point therapy").check()
    page.get_by_label("I consent to HomeKnots storing").check()
    page.get_by_role("button", name="Save my intake").click()
    expect(page).to_have_url(re.compile(r"/intakes/\d+/$"))


def test_a_client_taps_the_drawing_to_mark_where_the_pain_travels(
    browser, live_server, transactional_db
):
    profile = ClientProfileFactory()
    # A touch phone: taps, not clicks.
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="en-US", has_touch=True, is_mobile=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    console: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        login(page, profile.user.email, PASSWORD)
        page.goto("/me/intake/")
        check_a11y(page)
        status = page.locator("#bm-status")

        # Where it hurts first.
        upper_back = _region(page, "back", "upper-back-right")
        upper_back.tap()
        expect(page.locator("#id_areas_upper-back-right")).to_be_checked()
        expect(upper_back).to_have_attribute("aria-pressed", "true")
        expect(status).to_contain_text("Upper back (right) ticked.")
        page.get_by_label("How strong is the pain in Upper back (right)").fill("7")

        # Then: "where pain from the upper back travels", and tap the arm and the forearm.
        mode = page.get_by_role("button", name="Where pain from Upper back (right) travels")
        mode.tap()
        expect(mode).to_have_attribute("aria-pressed", "true")
        expect(page.get_by_role("button", name="Where it hurts")).to_have_attribute(
            "aria-pressed", "false"
        )
        expect(status).to_have_text(
            "A tap on the drawing now marks where pain from Upper back (right) travels."
        )
        arm = _region(page, "front", "arm-right")
        arm.tap()
        _region(page, "front", "forearm-hand-right").tap()
        expect(status).to_have_text(
            "Pain from Upper back (right) travels to Forearm and hand (right)."
        )
        travels = page.locator("#travels-upper-back-right")
        expect(travels.locator('input[value="arm-right"]')).to_be_checked()
        expect(travels.locator('input[value="forearm-hand-right"]')).to_be_checked()
        # Hatched, and distinct from "hurts": not the solid fill, and the source is outlined.
        expect(arm).to_have_class(re.compile(r"\bis-referred\b"))
        expect(arm).not_to_have_class(re.compile(r"\bis-selected\b"))
        expect(arm).to_have_attribute("fill", re.compile(r"^url\(#bm\d+-hatch\)$"))
        expect(arm).to_have_attribute("aria-pressed", "true")
        expect(upper_back).to_have_class(re.compile(r"\bis-source\b"))
        expect(upper_back).to_have_attribute("aria-disabled", "true")
        # Tapping the area the pain starts from changes nothing.
        upper_back.tap(force=True)  # aria-disabled: Playwright would wait for it to enable
        expect(status).to_have_text("Upper back (right) is where this pain starts.")
        expect(page.locator("#id_areas_upper-back-right")).to_be_checked()

        # A second tap takes one back off.
        _region(page, "front", "forearm-hand-right").tap()
        expect(travels.locator('input[value="forearm-hand-right"]')).not_to_be_checked()
        expect(status).to_have_text(
            "Pain from Upper back (right) no longer travels to Forearm and hand (right)."
        )
        check_a11y(page)

        # Back to "where it hurts": the next tap ticks a painful area again, and the arm stays
        # hatched because pain travels there.
        page.get_by_role("button", name="Where it hurts").tap()
        _region(page, "back", "neck-back").tap()
        expect(page.locator("#id_areas_neck-back")).to_be_checked()
        expect(page.locator("#id_areas_arm-right")).not_to_be_checked()
        expect(arm).to_have_class(re.compile(r"\bis-referred\b"))
        page.get_by_label("How strong is the pain in Back of the neck").fill("4")
        page.get_by_role("button", name="Where pain from Back of the neck travels").tap()
        _region(page, "front", "head").tap()

        _finish_and_save(page)
        expect(page.get_by_text("Upper back (right): 7/10 → travels to")).to_be_visible()
        check_a11y(page)
    finally:
        context.close()
    assert not [line for line in console if POLICY_PROBLEM.search(line)], console
    assert not errors, errors
    areas = {a.region: a.refers_to for a in Intake.objects.get(client=profile).pain_areas.all()}
    assert areas == {"upper-back-right": ["arm-right"], "neck-back": ["head"]}


def test_a_client_marks_where_the_pain_travels_by_keyboard_alone(page, transactional_db):
    profile = ClientProfileFactory()
    login(page, profile.user.email, PASSWORD)
    page.goto("/me/intake/")
    status = page.locator("#bm-status")

    # The skip link comes first and jumps past the whole map.
    skip = page.get_by_role("link", name="Skip to the next section: What brings you")
    skip.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#sec-reasons")).to_be_focused()

    # Tab from the skip link reaches the mode buttons, then the drawing: one tab stop.
    skip.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Where it hurts")).to_be_focused()
    page.keyboard.press("Tab")
    first = page.locator('svg [data-region="head"]')
    expect(first).to_be_focused()
    expect(first).to_have_attribute("role", "button")
    expect(first).to_have_attribute("aria-label", "Head and temples")

    # Arrow keys walk the regions; Space ticks where it hurts.
    page.keyboard.press("End")
    expect(page.locator('svg [data-region="calf-right"]')).to_be_focused()
    page.keyboard.press("ArrowLeft")
    calf = page.locator('svg [data-region="calf-left"]')
    expect(calf).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#id_areas_calf-left")).to_be_checked()
    expect(calf).to_have_attribute("aria-pressed", "true")
    expect(calf).to_have_attribute("aria-label", "Calf (left) (hurts)")
    expect(status).to_contain_text("Calf (left) ticked.")

    # Shift+Tab back to the mode buttons; the calf's own button is the last one.
    page.keyboard.press("Shift+Tab")
    mode = page.get_by_role("button", name="Where pain from Calf (left) travels")
    expect(mode).to_be_focused()
    page.keyboard.press("Enter")
    expect(mode).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")  # the drawing, where we left it
    expect(calf).to_be_focused()
    for _ in range(30):
        page.keyboard.press("ArrowLeft")
        if page.evaluate("document.activeElement.dataset.region") == "foot-left":
            break
    foot = page.locator('svg [data-region="foot-left"]')
    expect(foot).to_be_focused()
    page.keyboard.press("Enter")
    expect(status).to_have_text("Pain from Calf (left) travels to Foot (left).")
    expect(foot).to_have_attribute("aria-pressed", "true")
    expect(foot).to_have_class(re.compile(r"\bis-referred\b"))
    expect(page.locator("#id_refers_calf-left__foot-left")).to_be_checked()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")  # and the other foot
    expect(page.locator("#id_refers_calf-left__foot-right")).to_be_checked()
    check_a11y(page)

    # The intensity, still by keyboard: Tab on until the field has focus.
    for _ in range(200):
        if page.evaluate("document.activeElement.id") == "id_intensity_calf-left":
            break
        page.keyboard.press("Tab")
    expect(page.get_by_label("How strong is the pain in Calf (left)")).to_be_focused()
    page.keyboard.type("5")

    _finish_and_save(page)
    expect(page.get_by_text("Calf (left): 5/10 → travels to")).to_be_visible()
    area = Intake.objects.get(client=profile).pain_areas.get()
    assert (area.region, area.intensity, area.refers_to) == (
        "calf-left",
        5,
        ["foot-left", "foot-right"],
    )
