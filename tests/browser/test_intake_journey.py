"""A new client fills in their address and health intake: first by clicking the body map, then
again by keyboard alone; both times they see the result on their dashboard. Phone width."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Intake
from tests.browser.conftest import check_a11y, login
from tests.factories import PASSWORD, UserFactory


def _tab_to(page, element_id: str, limit: int = 400) -> None:
    """Press Tab until the element with ``element_id`` has focus, like a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach #{element_id} with the Tab key")


def test_a_new_client_completes_the_intake_by_mouse_then_by_keyboard(page, transactional_db):
    user = UserFactory(email="robin@example.com", first_name="Robin", last_name="Lee")
    login(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile("/dashboard/$"))
    check_a11y(page)

    # The dashboard asks for an intake; the address comes first.
    page.get_by_role("link", name="Fill in your health intake").click()
    expect(page).to_have_url(re.compile("/me/details/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your address and details")
    check_a11y(page)
    page.get_by_role("textbox", name=re.compile(r"^Phone")).fill("+1 212 555 0100")
    page.get_by_label("Street address").fill("350 West 31st Street, Apt 4B")
    page.get_by_label("City").fill("New York")
    page.get_by_label("State").select_option("NY")
    page.get_by_label("ZIP code").fill("10001")
    page.get_by_label("Access notes for a home visit").fill("Buzzer 4B, lift to the 4th floor.")
    page.get_by_role("button", name="Save and continue").click()

    # --- The intake, by clicking the drawing. ---------------------------------------------
    expect(page).to_have_url(re.compile("/me/intake/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your health intake")
    check_a11y(page)
    upper_back = page.locator("#id_areas_upper-back-right")
    upper_back_intensity = page.get_by_label("How strong is the pain in Upper back (right)")
    expect(upper_back).not_to_be_checked()
    expect(upper_back_intensity).to_be_hidden()

    page.locator('svg[data-view="back"] [data-region="upper-back-right"]').click()
    expect(upper_back).to_be_checked()
    expect(page.locator("#bm-status")).to_contain_text("Upper back (right) ticked.")
    expect(upper_back_intensity).to_be_visible()
    expect(page.locator('svg[data-view="back"] [data-region="upper-back-right"]')).to_have_class(
        re.compile("is-selected")
    )
    upper_back_intensity.fill("7")
    travels = page.get_by_role("group", name="Pain from Upper back (right) travels to")
    travels.get_by_label("Upper arm (right)").check()
    travels.get_by_label("Forearm and hand (right)").check()

    page.locator('svg[data-view="back"] [data-region="neck-back"]').click()
    page.get_by_label("How strong is the pain in Back of the neck").fill("5")
    page.get_by_role("group", name="Pain from Back of the neck travels to").get_by_label(
        "Head and temples"
    ).check()

    # A second click on a region unticks it again.
    head = page.locator('svg[data-view="front"] [data-region="head"]')
    head.click()
    expect(page.locator("#id_areas_head")).to_be_checked()
    head.click()
    expect(page.locator("#id_areas_head")).not_to_be_checked()

    page.get_by_label("Chronic back or neck pain").check()
    page.get_by_label("Firm").check()
    two_months_ago = timezone.localdate() - dt.timedelta(days=60)
    page.get_by_label("Date of your last massage").fill(two_months_ago.isoformat())
    page.get_by_label("None of these apply to me").check()
    page.get_by_label("I consent to trigger point therapy").check()
    page.get_by_label("I consent to HomeKnots storing").check()
    page.get_by_role("button", name="Save my intake").click()

    expect(page).to_have_url(re.compile(r"/intakes/\d+/$"))
    expect(page.get_by_role("alert")).to_contain_text("Your health intake is saved (version 1)")
    expect(page.get_by_text("Upper back (right): 7/10 → travels to")).to_be_visible()
    # The client reads the flag in their own words.
    expect(page.locator('[data-flag="long_gap"]')).to_contain_text("since your last massage")
    check_a11y(page)

    page.goto("/dashboard/")
    panel = page.get_by_test_id("intake-panel")
    expect(panel).to_contain_text("Up to date")
    expect(panel).to_contain_text("Upper back (right) (7/10)")
    expect(panel).to_contain_text("Back of the neck (5/10)")
    check_a11y(page)

    # --- Again, by keyboard alone. ----------------------------------------------------------
    panel.get_by_role("link", name="Update intake").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("/me/intake/$"))
    check_a11y(page)

    _tab_to(page, "id_areas_calf-left")
    page.keyboard.press("Space")
    expect(page.locator("#id_areas_calf-left")).to_be_checked()
    page.keyboard.press("Tab")  # the intensity appears right after the ticked area
    expect(page.get_by_label("How strong is the pain in Calf (left)")).to_be_focused()
    page.keyboard.type("4")
    _tab_to(page, "id_refers_calf-left__foot-left")  # where it travels: a checkbox each
    page.keyboard.press("Space")

    _tab_to(page, "id_discomfort_ceiling")
    page.keyboard.press("ArrowUp")  # 7 → 8
    expect(page.get_by_label("The most discomfort you accept")).to_have_value("8")
    page.keyboard.press("Tab")  # the confirmation shows up only above 7, and comes next
    expect(page.get_by_label("I understand that above 7")).to_be_focused()
    page.keyboard.press("Space")

    _tab_to(page, "id_consent_treatment")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save my intake")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/intakes/\d+/$"))
    expect(page.get_by_role("alert")).to_contain_text("version 2")
    changes = page.get_by_test_id("intake-changes")
    expect(changes).to_contain_text("Pain: Calf (left): not marked → 4/10 (travels to Foot (left))")
    expect(changes).to_contain_text("Most discomfort accepted: 7/10 → 8/10")
    expect(page.locator('[data-flag="high_ceiling"]')).to_contain_text("8/10")
    check_a11y(page)

    page.goto("/dashboard/")
    expect(page.get_by_test_id("intake-panel")).to_contain_text("Version 2")
    expect(page.get_by_test_id("intake-panel")).to_contain_text("Calf (left) (4/10)")
    check_a11y(page)

    versions = list(Intake.objects.filter(client__user=user).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].discomfort_ceiling == 7  # the first version is untouched
    calf = versions[1].pain_areas.get(region="calf-left")
    assert (calf.intensity, calf.refers_to) == (4, ["foot-left"])


def test_a_mistake_is_explained_on_the_form_and_keeps_what_was_typed(page, transactional_db):
    user = UserFactory(email="kim@example.com", first_name="Kim")
    login(page, user.email, PASSWORD)
    page.goto("/me/details/")
    page.get_by_role("textbox", name=re.compile(r"^Phone")).fill("+1 212 555 0100")
    page.get_by_label("Street address").fill("1 Main Street")
    page.get_by_label("City").fill("Nowhere")
    page.get_by_label("State").select_option("NY")
    page.get_by_label("ZIP code").fill("00000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("We could not find the postcode")
    expect(page.get_by_label("Street address")).to_have_value("1 Main Street")
    check_a11y(page)

    page.get_by_label("ZIP code").fill("10001")
    page.get_by_role("button", name="Save").click()
    page.goto("/me/intake/")
    page.locator('svg[data-view="front"] [data-region="knee-left"]').click()
    page.get_by_label("How strong is the pain in Knee (left)").fill("4")
    page.get_by_label("Goals").fill("Walk the dog again")
    page.get_by_label("Medium").check()
    page.get_by_label("I have never had a massage").check()
    page.get_by_role("button", name="Save my intake").click()

    summary = page.locator("#form-errors")
    expect(summary).to_contain_text("We need your consent to treatment")
    expect(page.locator("#id_areas_knee-left")).to_be_checked()
    expect(page.get_by_label("How strong is the pain in Knee (left)")).to_have_value("4")
    expect(page.get_by_label("Goals")).to_have_value("Walk the dog again")
    check_a11y(page)
    assert not Intake.objects.filter(client__user=user).exists()


def test_every_region_on_the_drawing_can_be_clicked(page, transactional_db):
    from clients.body import REGIONS
    from tests.factories import ClientProfileFactory

    profile = ClientProfileFactory()
    login(page, profile.user.email, PASSWORD)
    page.goto("/me/intake/")
    for region in REGIONS:
        shape = page.locator(f'svg[data-view="{region.view}"] [data-region="{region.slug}"]')
        # Playwright clicks the middle of the region and fails if another shape is on top.
        shape.click(timeout=3000)
        expect(page.locator(f"#id_areas_{region.slug}")).to_be_checked()
    expect(page.locator("svg .bm-region.is-selected")).to_have_count(len(REGIONS))


def test_the_intake_works_without_javascript(browser, live_server, transactional_db):
    from tests.browser.conftest import PHONE
    from tests.factories import ClientProfileFactory

    profile = ClientProfileFactory()
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="en-US", java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, profile.user.email, PASSWORD)
        page.goto("/me/intake/")
        # No drawing without JavaScript: the checkboxes are the whole control.
        expect(page.locator("svg.bm-svg").first).to_be_hidden()
        intensity = page.get_by_label("How strong is the pain in Lower back")
        expect(intensity).to_be_hidden()
        page.locator("#id_areas_lower-back").check()
        expect(intensity).to_be_visible()  # revealed by CSS alone
        intensity.fill("6")
        travels = page.get_by_role("group", name="Pain from Lower back travels to")
        expect(travels).to_be_visible()
        travels.get_by_label("Glute (left)").check()
        page.get_by_label("Light").check()
        page.get_by_label("I have never had a massage").check()
        page.get_by_label("None of these apply to me").check()
        page.get_by_label("I consent to trigger point therapy").check()
        page.get_by_label("I consent to HomeKnots storing").check()
        # (axe needs JavaScript; the other journeys check this page with it on.)
        page.get_by_role("button", name="Save my intake").click()
        expect(page).to_have_url(re.compile(r"/intakes/\d+/$"))
        expect(page.get_by_text("Lower back: 6/10 → travels to Glute (left)")).to_be_visible()
    finally:
        context.close()
    area = profile.intakes.get().pain_areas.get()
    assert (area.region, area.intensity, area.refers_to) == ("lower-back", 6, ["glute-left"])
