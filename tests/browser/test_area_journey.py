"""A client whose saved ZIP nobody covers, at phone width: the profile, the slot picker and the
directory each say so plainly (how far the therapist travels, how far the address is); the
client changes the address, is offered a therapist who covers it, and books a time with them.
Every page is checked with axe."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from booking.models import Booking
from tests import factories
from tests.browser.conftest import check_a11y, login
from therapists.models import WeeklyHours


def open_all_week(therapist) -> None:
    for weekday in range(7):
        WeeklyHours.objects.create(
            therapist=therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )


@pytest.fixture
def people(transactional_db):
    """Dana lives in Absarokee, Montana (59001), where nobody travels; Maya works from
    Chelsea, New York, within 8 miles; Leo from Westwood, Los Angeles, reaching Beverly Hills."""
    dana = factories.ClientProfileFactory(
        user__email="dana@homeknots.example",
        user__first_name="Dana",
        street="12 Main Street",
        city="Absarokee",
        postcode="59001",
        latitude=Decimal("45.5154"),
        longitude=Decimal("-109.4692"),
    )
    factories.IntakeFactory(client=dana)
    maya = factories.ServiceFactory(
        therapist__display_name="Maya Chen",
        therapist__slug="maya-chen",
        therapist__radius_km=13,
        therapist__postcode="10011",
        therapist__latitude=Decimal("40.7402"),
        therapist__longitude=Decimal("-73.9996"),
        therapist__min_notice_hours=2,
    )
    leo = factories.ServiceFactory(
        therapist__display_name="Leo Park",
        therapist__slug="leo-park",
        therapist__radius_km=20,
        therapist__postcode="90024",
        therapist__latitude=Decimal("34.0637"),
        therapist__longitude=Decimal("-118.4408"),
        therapist__time_zone="America/Los_Angeles",
        therapist__min_notice_hours=2,
    )
    open_all_week(maya.therapist)
    open_all_week(leo.therapist)
    return {"dana": dana, "maya": maya, "leo": leo}


def test_a_client_nobody_covers_is_told_everywhere_changes_the_zip_and_books_who_covers_it(
    page, people
):
    dana, maya, leo = people["dana"], people["maya"], people["leo"]
    login(page, dana.user.email, factories.PASSWORD)
    expect(page).to_have_url(re.compile("/dashboard/$"))

    # The profile: how far Maya travels, how far Dana's address is, and no times to click.
    page.goto(maya.therapist.get_absolute_url())
    notice = page.get_by_test_id("out-of-area")
    expect(notice).to_contain_text(
        re.compile(
            r"Maya Chen travels up to 8 miles from New York; your address is [\d,]+ miles away"
        )
    )
    expect(notice).to_contain_text("Nobody on HomeKnots travels to 59001 yet.")
    expect(page.get_by_test_id("next-slots")).to_have_count(0)
    check_a11y(page)

    # The slot picker says the same instead of a fortnight of empty days.
    page.goto(f"/book/?therapist={maya.therapist.pk}&service={maya.pk}")
    expect(page.get_by_test_id("out-of-area")).to_contain_text("Maya Chen travels up to 8 miles")
    expect(page.get_by_test_id("slot-picker")).to_have_count(0)
    check_a11y(page)

    # The directory starts from the saved ZIP and says nobody travels there.
    page.goto("/therapists/")
    expect(page.get_by_label("Your ZIP code")).to_have_value("59001")
    nobody = page.get_by_test_id("nobody-reaches")
    expect(nobody).to_contain_text("No therapist travels to 59001 yet.")
    check_a11y(page)

    # Dana has moved to Beverly Hills: she changes the address and comes back here.
    nobody.get_by_role("link", name="Change your address").click()
    expect(page).to_have_url(re.compile("/me/details/"))
    page.get_by_label("Street address").fill("9500 Wilshire Boulevard, Apt 2")
    page.get_by_label("City").fill("Beverly Hills")
    page.get_by_label("State").select_option(label="California")
    page.get_by_label("ZIP code").fill("90210")
    check_a11y(page)
    page.get_by_role("button", name=re.compile("Save", re.I)).click()
    expect(page).to_have_url(re.compile("/therapists/"))
    expect(page.get_by_label("Your ZIP code")).to_have_value("90210")
    cards = page.get_by_test_id("therapist-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Leo Park")
    expect(cards.first.locator("time")).to_have_count(1)  # a next free time Dana can book
    check_a11y(page)

    # Maya's profile now offers who does come to 90210.
    page.goto(maya.therapist.get_absolute_url())
    expect(page.get_by_test_id("out-of-area")).to_contain_text("your address is")
    page.get_by_test_id("covering").get_by_role("link", name="Leo Park").click()

    # Leo reaches Dana: times to pick, and the first one is bookable.
    expect(page.get_by_role("heading", level=1)).to_have_text("Leo Park")
    expect(page.get_by_test_id("out-of-area")).to_have_count(0)
    check_a11y(page)
    page.get_by_test_id("next-slots").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm")
    expect(page.get_by_test_id("review-address")).to_contain_text("9500 Wilshire Boulevard")
    expect(page.get_by_test_id("how-you-pay")).to_contain_text(
        "You pay your therapist at the visit"
    )
    check_a11y(page)
    page.get_by_test_id("confirm").click()
    expect(page.locator("main")).to_contain_text("Leo Park")
    booking = Booking.objects.get(client=dana)
    assert booking.therapist == leo.therapist
    assert booking.status in Booking.ACTIVE_STATUSES
