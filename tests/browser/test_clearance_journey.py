"""Clearance in the browser: a client whose intake says "suspected blood clot" books (and must
acknowledge the warning), sees the visit waiting for clearance; the therapist records what they
saw; the client sees it confirmed. At phone width, with axe on every page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from booking.models import Booking
from clients.models import Intake
from tests import factories
from tests.browser.conftest import check_a11y, login
from tests.browser.test_booking_journey import open_all_week


def test_a_client_with_a_suspected_clot_is_booked_after_clearance(page, transactional_db):
    ana = factories.ClientProfileFactory(user__first_name="Ana", user__email="ana@example.com")
    factories.IntakeFactory(client=ana, screening=[Intake.Screening.CLOT])
    maya = factories.ServiceFactory(
        therapist__user__email="maya@example.com",
        therapist__display_name="Maya Chen",
        therapist__min_notice_hours=30,
    ).therapist
    open_all_week(maya)

    login(page, ana.user.email, factories.PASSWORD)
    page.goto("/book/?modality=myofascial&duration=60")
    page.get_by_test_id("first-available").get_by_role("link").first.click()
    warning = page.get_by_test_id("clearance-warning")
    expect(warning).to_contain_text("A suspected or known blood clot")
    check_a11y(page)
    # Without the acknowledgement, the booking is refused with the rule's own sentence.
    page.get_by_role("button", name="Send booking request").click()
    expect(page.locator("#ack-error")).to_contain_text("needs a doctor's clearance")
    page.get_by_label(re.compile("I have read the warning")).check()
    page.get_by_role("button", name="Send booking request").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Waiting for medical clearance")
    check_a11y(page)

    page.goto("/dashboard/")
    expect(page.get_by_test_id("clearance-needed")).to_contain_text("get your doctor's clearance")
    check_a11y(page)
    booking = Booking.objects.get(client=ana)
    assert booking.status == Booking.Status.AWAITING_CLEARANCE

    # The therapist, on the visit page, records what they saw.
    page.context.clear_cookies()
    login(page, "maya@example.com", factories.PASSWORD)
    page.goto(f"/therapists/visits/{booking.pk}/")
    expect(page.get_by_test_id("clearance-awaited")).to_be_visible()
    check_a11y(page)
    page.get_by_label("What you saw: who cleared the client, and when").fill(
        "Dr Ruiz's letter, 1 Dec: ultrasound clear."
    )
    page.get_by_role("button", name="Record clearance seen").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Confirmed")
    expect(page.get_by_test_id("clearance-recorded")).to_contain_text("Dr Ruiz's letter")
    check_a11y(page)

    # The client sees it confirmed.
    page.context.clear_cookies()
    login(page, ana.user.email, factories.PASSWORD)
    page.goto("/dashboard/")
    upcoming = page.get_by_test_id("upcoming-visits")
    expect(upcoming).to_contain_text("Confirmed")
    expect(page.get_by_test_id("clearance-needed")).to_have_count(0)
    check_a11y(page)
