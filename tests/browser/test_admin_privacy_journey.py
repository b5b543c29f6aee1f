"""A client's data in the browser: staff sign in through the site's login with their second
factor, open the client in the admin, export their data (a readable page, then the JSON file),
and erase them, confirming each step. Desktop width: the admin is a desktop tool."""

from __future__ import annotations

import json
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    decrypt,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from playwright.sync_api import expect

from backoffice.models import AuditEntry
from booking.models import Booking
from clients.models import Intake
from tests import factories
from tests.aftercare.factories import past_visit
from tests.browser.conftest import DESKTOP, check_a11y, login


@pytest.fixture
def viewport() -> dict[str, int]:
    return DESKTOP


def _code(user) -> str:
    secret = decrypt(
        Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    )
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


def test_staff_export_then_erase_a_client(page, transactional_db, tmp_path):
    rosa = factories.ClientProfileFactory(
        user__first_name="Rosa", user__last_name="Vale", user__email="rosa@example.com"
    )
    intake = factories.IntakeFactory(client=rosa, medications="Sertraline 50 mg")
    visit = past_visit(client=rosa, intake=intake, hours_ago=48)
    staff = factories.StaffFactory(email="office@example.com")

    login(page, staff.email, factories.PASSWORD)
    page.get_by_label("Code").fill(_code(staff))
    page.get_by_role(
        "button", name=re.compile("Log in|Sign In|Authenticate|Verify|Confirm", re.I)
    ).click()
    page.goto(f"/admin/clients/clientprofile/{rosa.pk}/change/")
    expect(page.get_by_role("heading", level=2, name=re.compile("Rosa"))).to_be_visible()
    # axe runs on the back office's own pages; on Django's change form it trips the site's CSP
    # itself (it falls back to inline styles when it cannot preload the admin's stylesheets).

    # Export, first as a readable page: a confirmation first.
    page.get_by_role("link", name="Export data").click()
    expect(page.get_by_role("button", name="Yes, export this client’s data")).to_be_visible()
    check_a11y(page)
    assert not AuditEntry.objects.exists()
    page.get_by_label("Readable page").check()
    page.get_by_role("button", name="Yes, export this client’s data").click()
    expect(page.get_by_text("Sertraline 50 mg")).to_be_visible()
    check_a11y(page)

    # Then the JSON file.
    page.go_back()
    page.get_by_label(re.compile("JSON file")).check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Yes, export this client’s data").click()
    saved = tmp_path / "export.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["account"][0]["email"] == "rosa@example.com"
    assert data["intakes"][0]["medications"] == "Sertraline 50 mg"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CLIENT_EXPORT).count() == 2

    # Erase: the confirmation says what will happen and needs the box ticked.
    page.goto(f"/admin/clients/clientprofile/{rosa.pk}/change/")
    page.get_by_role("link", name="Erase client").click()
    expect(page).to_have_title(re.compile("Erase client"))
    expect(page.get_by_text("This cannot be undone")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Yes, erase this client").click()
    expect(page.get_by_text("This field is required")).to_be_visible()
    assert Intake.objects.filter(client=rosa).exists()
    page.get_by_label(re.compile("I have checked that this is the client")).check()
    page.get_by_role("button", name="Yes, erase this client").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Client #{rosa.pk} erased")
    expect(page.get_by_text("rosa@example.com")).to_have_count(0)

    assert not Intake.objects.filter(client=rosa).exists()
    kept = Booking.objects.get(pk=visit.pk)
    assert (kept.status, kept.price) == (Booking.Status.COMPLETED, visit.price)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CLIENT_ERASE, actor=staff).exists()


def test_staff_open_the_reports_from_the_admin_index(page, transactional_db):
    visit = past_visit(hours_ago=24)
    staff = factories.StaffFactory(email="office@example.com", mfa=False)
    login(page, staff.email, factories.PASSWORD)
    page.goto("/admin/")
    page.get_by_role("link", name="Reports").click()
    expect(page.locator("svg.hk-chart")).to_have_count(2)
    expect(page.locator("#report-therapists")).to_contain_text(visit.therapist.display_name)
    check_a11y(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download per therapist and month (CSV)").click()
    assert download.value.suggested_filename.startswith("report-monthly-")
