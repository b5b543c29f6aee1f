"""Running the business from the admin, in a real browser: a Support staff member signs in
through the site's login, sees the operations overview, finds a booking by the client's phone
number, moves it to another free time, then cancels another visit with a reason. Both clients
receive the e-mails the site sends for those changes. Every admin page we add passes axe-core.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.roles import SUPPORT
from booking.models import Booking
from booking.selectors import available_slots
from booking.services import booking_create
from core.timefmt import local_label
from tests import factories
from tests.booking.conftest import open_all_week
from tests.browser.conftest import DESKTOP, check_a11y, login


@pytest.fixture
def viewport() -> dict[str, int]:
    return DESKTOP


def test_support_moves_one_visit_and_cancels_another(page, transactional_db):
    service = factories.ServiceFactory(therapist__display_name="Maya Chen")
    therapist = service.therapist
    open_all_week(therapist)
    ana = factories.BookableClientFactory(
        phone="+1 917 555 0142", user__first_name="Ana", user__last_name="Ortiz"
    )
    ben = factories.BookableClientFactory(user__first_name="Ben", user__last_name="Ruiz")
    day = timezone.localtime(timezone.now(), therapist.tz).date() + dt.timedelta(days=3)
    slots = available_slots(therapist=therapist, service=service, start_date=day, days=1)
    to_move = booking_create(client=ana, therapist=therapist, service=service, starts_at=slots[0])
    to_cancel = booking_create(client=ben, therapist=therapist, service=service, starts_at=slots[8])
    support = factories.StaffFactory(is_superuser=False, mfa=False, email="sam@homeknots.example")
    support.groups.add(Group.objects.get(name=SUPPORT))
    mail.outbox.clear()

    # --- Sign in through the site's login; the admin home shows the overview. ---------------
    login(page, support.email, factories.PASSWORD)
    page.goto("/admin/")
    overview = page.get_by_test_id("operations-overview")
    expect(overview).to_contain_text("Operations overview")
    expect(overview).to_contain_text("Bookings waiting for the therapist's answer")
    # Support may read (not change) therapists: the approvals queue shows.
    expect(overview).to_contain_text("Therapists waiting for approval")
    # No health data for Support without two-factor authentication.
    expect(overview).not_to_contain_text("Sore clients")
    check_a11y(page)

    # --- Find Ana's booking by her phone number and open it. ------------------------------
    page.locator("#content-main").get_by_role("link", name="Bookings", exact=True).click()
    page.locator("#searchbar").fill("917 555 0142")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ana Ortiz")
    rows.first.locator("th a").click()

    # --- Move it to another free time. ---------------------------------------------------
    page.get_by_role("link", name="Move to another free time").click()
    expect(page.get_by_role("heading", name="Move a visit")).to_be_visible()
    check_a11y(page)
    # A time that is still free now that both visits are booked: the last one of that day.
    new_time = available_slots(
        therapist=therapist,
        service=service,
        start_date=day,
        days=1,
        client=ana,
        exclude_booking=to_move,
    )[-1]
    page.get_by_label(local_label(new_time, therapist)).check()
    page.get_by_role("button", name="Move the visit and e-mail the client").click()
    expect(page.locator(".messagelist")).to_contain_text("Moved; the client and the therapist")
    to_move.refresh_from_db()
    assert to_move.starts_at == new_time

    # --- Cancel Ben's visit for the business, with a reason. -----------------------------------
    page.goto("/admin/booking/booking/")
    page.locator(f'input[name="_selected_action"][value="{to_cancel.pk}"]').check()
    page.locator('select[name="action"]').select_option("cancel_for_business")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Cancel visits")).to_be_visible()
    check_a11y(page)
    page.get_by_label("Reason, shown to the client").fill("Maya is unwell this week.")
    page.get_by_role("button", name="Cancel these visits and e-mail the clients").click()
    expect(page.locator(".messagelist")).to_contain_text("Cancelled 1 booking.")
    to_cancel.refresh_from_db()
    assert to_cancel.status == Booking.Status.CANCELLED

    # --- What the clients received. ------------------------------------------------------
    to_ana = [m for m in mail.outbox if ana.user.email in m.to]
    assert [m.subject for m in to_ana] == [f"Moved: your visit is now {local_label(new_time, ana)}"]
    assert "Your visit has moved" in to_ana[0].body
    to_ben = [m for m in mail.outbox if ben.user.email in m.to]
    assert len(to_ben) == 1
    assert to_ben[0].subject.startswith("Cancelled: your visit on")
    assert "Maya is unwell this week." in to_ben[0].body
