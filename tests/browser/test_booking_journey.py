"""The booking journey in a real browser, at phone width: the demo client books the first
available 60-minute myofascial session, sees it on the dashboard, moves it, cancels it; the
therapist sees it appear, move and disappear on their calendar. Plus the same flow with
JavaScript switched off."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from booking.models import Booking
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, check_a11y, login
from therapists.models import WeeklyHours

SHOTS = os.environ.get("BOOKING_SCREENSHOTS")


def shot(page, name: str) -> None:
    """Screenshots for a human to look at (set BOOKING_SCREENSHOTS=1)."""
    if SHOTS:
        out = Path(__file__).resolve().parents[2] / "test-results" / "booking"
        out.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)


def open_all_week(therapist) -> None:
    for weekday in range(7):
        WeeklyHours.objects.create(
            therapist=therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )


@pytest.fixture
def people(transactional_db):
    """Dana, the demo client, with an address and an intake; Maya, who can come soonest; and
    Priya, who also offers the session but only from later in the week."""
    dana = factories.ClientProfileFactory(
        user__email="client@homeknots.example",
        user__first_name="Dana",
        user__last_name="Client",
        street="350 West 31st Street, Apt 4B",
    )
    factories.IntakeFactory(client=dana)
    maya = factories.ServiceFactory(
        therapist__user__email="maya@homeknots.example",
        therapist__user__first_name="Maya",
        therapist__user__last_name="Chen",
        therapist__display_name="Maya Chen",
        therapist__min_notice_hours=30,
    ).therapist
    priya = factories.ServiceFactory(
        therapist__user__email="priya@homeknots.example",
        therapist__display_name="Priya Natarajan",
        therapist__min_notice_hours=80,
    ).therapist
    open_all_week(maya)
    open_all_week(priya)
    return {"dana": dana, "maya": maya, "priya": priya}


def _events_loaded(response) -> bool:
    return "/therapists/me/calendar/events/" in response.url


def calendar_has(page, text: str) -> bool:
    """The therapist's calendar, list view: is an event with ``text`` there (this week or
    next)? Waits for the calendar's JSON each time, so "not there" is not "not loaded yet"."""
    with page.expect_response(_events_loaded):
        page.goto("/therapists/me/calendar/")
    page.get_by_role("button", name=re.compile("^List$", re.I)).click()
    for week in range(2):
        page.wait_for_timeout(300)  # FullCalendar renders the fetched events
        page.wait_for_selector(".fc-list-table, .fc-list-empty")
        if page.locator(".fc-list-event", has_text=text).count():
            return True
        if week == 0:
            with page.expect_response(_events_loaded):
                page.get_by_role("button", name=re.compile("^Next", re.I)).click()
    return False


def calendar_json(page, booking: Booking) -> list[dict]:
    start = (booking.starts_at - dt.timedelta(days=1)).date().isoformat()
    end = (booking.starts_at + dt.timedelta(days=10)).date().isoformat()
    response = page.request.get(f"/therapists/me/calendar/events/?start={start}&end={end}")
    assert response.ok
    return [e for e in response.json() if e.get("id") == f"booking-{booking.pk}"]


def test_the_demo_client_books_moves_and_cancels_and_the_therapist_sees_it(
    page, browser, live_server, people
):
    dana, maya = people["dana"], people["maya"]
    login(page, dana.user.email, factories.PASSWORD)
    expect(page).to_have_url(re.compile("/dashboard/$"))
    check_a11y(page)

    # 1. What: a 60-minute myofascial session.
    toggler = page.get_by_role("button", name="Show menu")
    if toggler.is_visible():  # at phone width the menu is folded away
        toggler.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Book a visit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a home visit")
    check_a11y(page)
    shot(page, "1-start")
    page.get_by_label("Myofascial trigger point therapy").check()
    page.locator("label[for=duration-60]").click()
    page.get_by_role("button", name="Show therapists and times").click()

    # 2. Who: the first available time, which is Maya's.
    expect(page.get_by_role("heading", level=1)).to_have_text("Who comes to you?")
    check_a11y(page)
    shot(page, "2-who")
    first = page.get_by_test_id("first-available").get_by_role("link").first
    expect(first).to_contain_text("with Maya Chen")
    first.click()

    # 3. Review: address, intake, price, policy; confirm.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm")
    check_a11y(page)
    shot(page, "3-review")
    expect(page.get_by_test_id("review-address")).to_contain_text("350 West 31st Street")
    expect(page.get_by_test_id("policy")).to_contain_text("24 hours")
    when = page.get_by_test_id("review-when").inner_text()
    # One way to write it, the zone named once on the page, in words.
    assert re.search(r"^\w{3}, \w{3} \d{1,2}, \d{1,2}:\d\d( [AP]M)?–\d{1,2}:\d\d [AP]M", when), when
    expect(page.get_by_test_id("zone-note")).to_have_text("Times are in Eastern Time.")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_test_id("visit-status")).to_have_text("Confirmed")
    check_a11y(page)
    shot(page, "4-detail")
    booking = Booking.objects.get(client=dana)
    assert booking.therapist == maya
    assert booking.service.duration_minutes == 60

    # On the dashboard.
    page.goto("/dashboard/")
    upcoming = page.get_by_test_id("upcoming-visits")
    expect(upcoming).to_contain_text("Maya Chen")
    check_a11y(page)
    shot(page, "5-dashboard")

    # The therapist sees it appear.
    therapist_context = browser.new_context(
        viewport=DESKTOP, base_url=live_server.url, locale="en-US"
    )
    therapist_context.set_default_timeout(15_000)
    therapist = therapist_context.new_page()
    login(therapist, maya.user.email, factories.PASSWORD)
    assert calendar_has(therapist, "Dana")
    check_a11y(therapist)
    (event,) = calendar_json(therapist, booking)
    assert event["start"].startswith(
        booking.starts_at.astimezone(maya.tz).strftime("%Y-%m-%dT%H:%M")
    )

    # 4. Move it: another day (htmx swaps the picker, the page stays), another time.
    upcoming.get_by_role("link", name=re.compile("^Move")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move your visit")
    check_a11y(page)
    page.evaluate("window.__samePage = true")
    days = page.locator(".day-grid a.day:not([aria-current])")
    days.nth(2).click()
    expect(page).to_have_url(re.compile(r"day=\d{4}-\d\d-\d\d"))
    expect(page.locator(".day-grid a.day[aria-current=date]")).to_have_count(1)
    assert page.evaluate("window.__samePage") is True  # no full page load
    shot(page, "6-reschedule")
    page.get_by_test_id("slot-list").get_by_role("link").nth(3).click()
    expect(page.get_by_role("heading", name="Move to this time?")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Move my visit").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your visit has moved")
    moved = Booking.objects.get(pk=booking.pk)
    assert moved.starts_at != booking.starts_at
    assert moved.ends_at - moved.starts_at == dt.timedelta(minutes=60)
    expect(page.get_by_test_id("booking-history")).to_contain_text("Moved to a new time")
    check_a11y(page)

    (event,) = calendar_json(therapist, moved)
    assert event["start"].startswith(moved.starts_at.astimezone(maya.tz).strftime("%Y-%m-%dT%H:%M"))

    # 5. Cancel it, with a reason.
    page.get_by_role("link", name="Cancel visit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your visit")
    check_a11y(page)
    shot(page, "7-cancel")
    page.get_by_label("Reason (optional)").fill("Travelling for work")
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Cancelled")
    check_a11y(page)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED

    page.goto("/dashboard/")
    expect(page.get_by_test_id("visits-panel")).to_contain_text("No visits booked.")
    expect(page.get_by_test_id("past-visits")).to_contain_text("Cancelled")
    check_a11y(page)

    # The therapist sees it disappear.
    assert calendar_json(therapist, moved) == []
    assert not calendar_has(therapist, "Dana")
    therapist_context.close()


@pytest.mark.parametrize("viewport", [PHONE])
def test_the_booking_flow_works_without_javascript(browser, live_server, people, viewport):
    context = browser.new_context(
        viewport=viewport, base_url=live_server.url, locale="en-US", java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    dana = people["dana"]
    login(page, dana.user.email, factories.PASSWORD)
    page.goto("/book/")
    page.get_by_label("Myofascial trigger point therapy").check()
    page.get_by_role("button", name="Show therapists and times").click()
    page.get_by_role("link", name="See times with Priya Natarajan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "When should Priya Natarajan come?"
    )
    # No check_a11y here: axe runs as JavaScript, which this context has switched off. The same
    # pages are checked with JavaScript on in the other journeys.
    page.locator(".day-grid a.day").nth(1).click()  # a full page load: a plain link
    expect(page).to_have_url(re.compile(r"day=\d{4}-\d\d-\d\d"))
    slot = page.get_by_test_id("slot-list").get_by_role("link").first
    chosen = slot.get_attribute("data-starts-at")
    slot.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Confirmed")
    booking = Booking.objects.get(client=dana)
    assert booking.therapist == people["priya"]
    assert booking.starts_at == dt.datetime.fromisoformat(chosen)
    context.close()


def test_a_slot_taken_meanwhile_shows_the_next_times_in_the_browser(page, people):
    from booking.services import booking_create

    dana, maya = people["dana"], people["maya"]
    login(page, dana.user.email, factories.PASSWORD)
    page.goto("/book/?modality=myofascial&duration=60")
    page.get_by_test_id("first-available").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm")
    # Someone else books the same time while Dana reads the review page.
    starts_at = dt.datetime.fromisoformat(
        page.get_by_test_id("review-when").locator("time").get_attribute("datetime")
    )
    other = factories.BookableClientFactory(user__role=User.Role.CLIENT)
    booking_create(client=other, therapist=maya, service=maya.services.get(), starts_at=starts_at)
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_test_id("slot-taken")).to_contain_text("that time was just taken")
    check_a11y(page)
    shot(page, "8-taken")
    page.get_by_test_id("alternatives").get_by_role("radio").first.check()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Confirmed")
    assert Booking.objects.filter(client=dana).count() == 1


def test_picking_a_day_swaps_only_the_times_and_email_links_work_logged_out(page, people):
    from booking import links
    from booking.services import booking_create

    dana, priya = people["dana"], people["priya"]
    login(page, dana.user.email, factories.PASSWORD)
    service = priya.services.get()
    page.goto(f"/book/?therapist={priya.pk}&service={service.pk}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("When should Priya")
    check_a11y(page)
    shot(page, "9-when")
    page.evaluate("window.__samePage = true")
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
        page.locator(".day-grid a.day:not([aria-current])").nth(1).click()
    expect(page).to_have_url(re.compile(r"day=\d{4}-\d\d-\d\d"))
    assert page.evaluate("window.__samePage") is True
    # keyboard focus stays on the chosen day, not lost with the replaced link
    expect(page.locator(".day-grid a.day[aria-current=date]")).to_be_focused()
    check_a11y(page)
    slot = page.get_by_test_id("slot-list").get_by_role("link").first
    chosen = slot.get_attribute("data-starts-at")
    slot.click()
    expect(page.get_by_test_id("review-when").locator("time")).to_have_attribute("datetime", chosen)

    # A signed link from the e-mail, opened in a browser that is not logged in.
    booking = booking_create(
        client=dana,
        therapist=priya,
        service=service,
        starts_at=dt.datetime.fromisoformat(chosen),
    )
    page.context.clear_cookies()
    page.goto(links.manage_url(booking_id=booking.pk, action="reschedule"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Move your visit")
    check_a11y(page)
    page.goto(
        links.manage_url(booking_id=booking.pk, action="cancel").replace("/cancel/", "x/cancel/")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid.")
    check_a11y(page)
    shot(page, "10-link-refused")
    page.goto(links.manage_url(booking_id=booking.pk, action="cancel"))
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Cancelled")
    check_a11y(page)
