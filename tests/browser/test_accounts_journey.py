from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_a11y

PASSWORD = "knots-be-gone-2026"


def test_a_new_client_signs_up_logs_out_and_back_in(page, transactional_db):
    page.goto("/")
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Trigger point massage")

    # At 390 px the menu is behind the toggler.
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("link", name="Sign up").click()
    check_a11y(page)
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Email").fill("robin@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile("/dashboard/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin")
    check_a11y(page)

    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("button", name="Log out").click()
    # Wait for the home page: the dashboard being left has two alerts of its own.
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    expect(page.get_by_role("alert")).to_contain_text("You are logged out.")

    page.goto("/accounts/login/")
    check_a11y(page)
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile("/dashboard/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin")
