"""Therapist and client journeys through the therapists pages, at phone width."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import DESKTOP, check_a11y, login
from therapists.models import TimeOff, WeeklyHours


def open_menu_link(page, name: str) -> None:
    toggler = page.get_by_role("button", name="Show menu")
    if toggler.is_visible():
        toggler.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def test_a_therapist_sets_hours_adds_a_day_off_and_sees_it_on_the_calendar(page, transactional_db):
    therapist = factories.TherapistProfileFactory(user__first_name="Maya")
    login(page, therapist.user.email, factories.PASSWORD)
    expect(page).to_have_url(re.compile("/dashboard/$"))
    check_a11y(page)

    open_menu_link(page, "Hours & time off")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hours & time off")
    check_a11y(page)
    page.get_by_label("Monday, range 1, from").fill("09:00")
    page.get_by_label("Monday, range 1, until").fill("12:00")
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your weekly hours are saved.")
    # Saving gives Monday a blank second range for the afternoon.
    page.get_by_label("Monday, range 2, from").fill("14:00")
    page.get_by_label("Monday, range 2, until").fill("19:00")
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your weekly hours are saved.")
    expect(page.get_by_label("Monday, range 2, until")).to_have_value("19:00")
    check_a11y(page)
    assert list(
        WeeklyHours.objects.filter(therapist=therapist).values_list("start_time", "end_time")
    ) == [(dt.time(9), dt.time(12)), (dt.time(14), dt.time(19))]

    day_off = timezone.now().astimezone(therapist.tz).date() + dt.timedelta(days=2)
    page.get_by_label("First day off").fill(day_off.isoformat())
    page.get_by_label("Reason (only you see it)").fill("Family day")
    page.get_by_role("button", name="Add time off").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your time off is saved")
    expect(page.get_by_test_id("time-off-list")).to_contain_text("Family day")
    check_a11y(page)
    assert TimeOff.objects.filter(therapist=therapist, reason="Family day").exists()

    open_menu_link(page, "Calendar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    calendar = page.locator("#calendar")
    expect(calendar.locator(".fc-view")).to_be_visible()
    check_a11y(page)
    # Phone width opens on today's day view; step forward to the day off.
    for _ in range(2):
        page.get_by_role("button", name="Next day").click()
    expect(calendar.locator(".hk-timeoff", has_text="Family day")).to_be_visible()
    # The same day in the week view (the footer switches views at phone width).
    page.get_by_role("button", name="Week").click()
    expect(calendar.locator(".hk-timeoff", has_text="Family day")).to_be_visible()
    check_a11y(page)


def test_a_therapist_blocks_time_from_the_calendar_by_keyboard(page, transactional_db):
    therapist = factories.TherapistProfileFactory()
    login(page, therapist.user.email, factories.PASSWORD)
    page.goto("/therapists/me/calendar/")
    expect(page.locator("#calendar .fc-view")).to_be_visible()
    day = timezone.now().astimezone(therapist.tz).date() + dt.timedelta(days=1)
    page.get_by_role("button", name="Block time").click()
    dialog = page.get_by_role("dialog", name="Block time")
    expect(dialog).to_be_visible()
    check_a11y(page)
    dialog.get_by_label("From").fill(f"{day.isoformat()}T10:00")
    dialog.get_by_label("Until").fill(f"{day.isoformat()}T12:30")
    dialog.get_by_label("Reason (only you see it)").fill("Dentist")
    dialog.get_by_role("button", name="Block this time").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Next day").click()
    expect(page.locator("#calendar .hk-timeoff", has_text="Dentist")).to_be_visible()
    block = TimeOff.objects.get(therapist=therapist)
    start = dt.datetime.combine(day, dt.time(10), tzinfo=therapist.tz)
    assert block.starts_at == start
    assert block.ends_at - block.starts_at == dt.timedelta(minutes=150)


@pytest.mark.parametrize("viewport", [DESKTOP])
def test_a_therapist_selects_a_stretch_on_the_week_view_and_opens_a_visit(
    page, transactional_db, viewport
):
    therapist = factories.TherapistProfileFactory()
    now = timezone.now().astimezone(therapist.tz)
    visit_start = now.replace(hour=15, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    booking = factories.BookingFactory(
        service=factories.ServiceFactory(therapist=therapist),
        client__user__first_name="Ravi",
        starts_at=visit_start,
    )
    login(page, therapist.user.email, factories.PASSWORD)
    page.goto("/therapists/me/calendar/")
    calendar = page.locator("#calendar")
    if visit_start.date() > now.date() and visit_start.weekday() == 0:
        page.get_by_role("button", name="Next week").click()
    event = calendar.locator(".hk-booking", has_text="Ravi")
    expect(event).to_be_visible()
    check_a11y(page)

    # Drag from 10:00 to 11:00 on the visit's day.
    column = calendar.locator(f'td.fc-timegrid-col[data-date="{visit_start.date().isoformat()}"]')
    top = calendar.locator('td.fc-timegrid-slot-lane[data-time="10:00:00"]').bounding_box()
    bottom = calendar.locator('td.fc-timegrid-slot-lane[data-time="10:30:00"]').bounding_box()
    x = column.bounding_box()["x"] + 20
    page.mouse.move(x, top["y"] + 5)
    page.mouse.down()
    page.mouse.move(x, bottom["y"] + 10, steps=8)
    page.mouse.up()
    dialog = page.get_by_role("dialog", name="Block time")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("From")).to_have_value(f"{visit_start.date().isoformat()}T10:00")
    expect(dialog.get_by_label("Until")).to_have_value(f"{visit_start.date().isoformat()}T11:00")
    dialog.get_by_role("button", name="Block this time").click()
    expect(calendar.locator(".hk-timeoff")).to_have_count(1)
    block = TimeOff.objects.get(therapist=therapist)
    assert block.starts_at == visit_start.replace(hour=10)

    event.click()
    expect(page).to_have_url(re.compile(f"/therapists/visits/{booking.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Visit with Ravi")
    check_a11y(page)


def test_a_client_filters_the_directory_and_opens_a_profile(page, transactional_db):
    sports = factories.modality("sports")
    jordan = factories.TherapistProfileFactory(
        display_name="Jordan Reyes",
        modalities=[sports],
        postcode="11215",
        latitude="40.662191",
        longitude="-73.986200",
        radius_km=8,
        bio="Runners and climbers welcome.",
    )
    factories.ServiceFactory(therapist=jordan, modality=sports)
    for weekday in range(7):
        factories.WeeklyHoursFactory(therapist=jordan, weekday=weekday)
    maya = factories.TherapistProfileFactory(display_name="Maya Chen")
    factories.ServiceFactory(therapist=maya)
    far = factories.TherapistProfileFactory(
        display_name="Far Away",
        modalities=[sports],
        latitude="40.745255",
        longitude="-74.027933",
        radius_km=3,
    )
    factories.ServiceFactory(therapist=far, modality=sports)
    # Dana lives in Boerum Hill (11217): Jordan and Maya reach her, "Far Away" does not.
    client = factories.ClientProfileFactory(
        postcode="11217", latitude="40.6816", longitude="-73.9798"
    )
    login(page, client.user.email, factories.PASSWORD)

    open_menu_link(page, "Therapists")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Find a trigger point therapist")
    expect(page.get_by_label("Your ZIP code")).to_have_value("11217")  # her saved ZIP first
    expect(page.get_by_test_id("therapist-card")).to_have_count(2)
    check_a11y(page)
    page.get_by_label("Kind of therapy").select_option(label="Sports trigger point therapy")
    page.get_by_label("Your ZIP code").fill("11217")
    page.get_by_role("button", name="Show therapists").click()
    cards = page.get_by_test_id("therapist-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Jordan Reyes")
    expect(cards.first).to_contain_text("$95")
    expect(cards.first.locator("time")).to_have_count(1)
    check_a11y(page)

    page.get_by_label("Your ZIP code").fill("00000")
    page.get_by_role("button", name="Show therapists").click()
    expect(page.get_by_text("We don’t know the ZIP code “00000”")).to_be_visible()
    check_a11y(page)
    page.go_back()

    page.get_by_role("link", name="Jordan Reyes").click()
    expect(page).to_have_url(re.compile(f"/therapists/{jordan.slug}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Jordan Reyes")
    expect(page.get_by_text("Runners and climbers welcome.")).to_be_visible()
    expect(page.get_by_test_id("next-slots").locator("li")).to_have_count(3)
    check_a11y(page)


def test_a_new_therapist_signs_up_and_completes_their_profile(page, transactional_db):
    page.goto("/")
    open_menu_link(page, "For therapists")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Join HomeKnots")
    check_a11y(page)
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Email").fill("robin@example.com")
    page.locator("#id_password1").fill("knots-be-gone-2026")
    page.locator("#id_password2").fill("knots-be-gone-2026")
    page.get_by_role("button", name="Create my therapist account").click()
    expect(page).to_have_url(re.compile("/therapists/me/profile/$"))
    expect(page.get_by_role("status").last).to_contain_text("Complete your profile")
    check_a11y(page)
    page.get_by_label("Licence or registration number").fill("NY-LMT-555")
    page.get_by_label("Home base postcode").fill("SW1A 1AA")
    page.get_by_label("Sports trigger point therapy").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("We could not find postcode")).to_be_visible()
    check_a11y(page)
    page.get_by_label("Home base postcode").fill("10025")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your profile is saved.")
    page.get_by_role("link", name="Preview my public page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Robin Lee")
    expect(page.get_by_role("status").first).to_contain_text("This is a preview")
    check_a11y(page)


def test_resetting_the_calendar_link_asks_first(page, transactional_db):
    """The question comes from data-confirm and static/js/site.js (no inline handler: the CSP
    would refuse one): Cancel keeps the link, OK makes a new one."""
    therapist = factories.TherapistProfileFactory()
    old_token = therapist.calendar_token
    login(page, therapist.user.email, factories.PASSWORD)
    page.goto("/therapists/me/calendar/")
    link = page.get_by_label("Your calendar link")
    expect(link).to_have_value(re.compile(old_token))
    questions: list[str] = []

    def answer(accept: bool):
        def handle(dialog) -> None:
            questions.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.get_by_role("button", name="Reset link").click()
    expect(page.get_by_role("button", name="Reset link")).to_be_visible()
    assert questions == ["Reset the link? Calendars using the old one stop updating."]
    page.wait_for_timeout(300)  # a submission would have been sent by now
    therapist.refresh_from_db()
    assert therapist.calendar_token == old_token

    page.once("dialog", answer(True))
    page.get_by_role("button", name="Reset link").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your calendar link is new.")
    therapist.refresh_from_db()
    assert therapist.calendar_token != old_token
    expect(link).to_have_value(re.compile(therapist.calendar_token))
    assert len(questions) == 2
    check_a11y(page)
