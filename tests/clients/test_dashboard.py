from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Intake
from clients.selectors import intake_status
from tests.factories import ClientProfileFactory, IntakeFactory, PainAreaFactory, UserFactory

pytestmark = pytest.mark.django_db


def _panel(response) -> str:
    html = response.content.decode()
    start = html.index('data-testid="intake-panel"')
    return html[start : html.index("</section>", start)]


def test_a_client_without_an_intake_is_asked_to_fill_it_in(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    panel = _panel(client.get(reverse("dashboard")))
    assert "Fill in your health intake" in panel
    assert reverse("clients:intake_edit") in panel


def test_a_client_without_a_profile_is_asked_for_an_address(client):
    client.force_login(UserFactory())
    html = client.get(reverse("dashboard")).content.decode()
    assert "Add your address" in html
    assert reverse("clients:profile_edit") in html


def test_a_current_intake_shows_its_version_areas_and_links(client):
    intake = IntakeFactory(version=3)
    PainAreaFactory(intake=intake, region="neck-back", intensity=5)
    client.force_login(intake.client.user)
    html = client.get(reverse("dashboard")).content.decode()
    panel = _panel(client.get(reverse("dashboard")))
    assert "Up to date" in panel
    assert "Version 3" in panel
    assert "Back of the neck (5/10)" in panel
    assert intake.get_absolute_url() in panel
    assert intake.client.street in html


def test_an_intake_older_than_six_months_asks_for_a_review(client):
    intake = IntakeFactory()
    Intake.objects.filter(pk=intake.pk).update(created_at=timezone.now() - dt.timedelta(days=200))
    client.force_login(intake.client.user)
    panel = _panel(client.get(reverse("dashboard")))
    assert "Please review" in panel
    assert "still right?" in panel


def test_intake_status_edges():
    intake = IntakeFactory()
    now = intake.created_at
    assert intake_status(client=intake.client, now=now).state == "current"
    assert intake_status(client=intake.client, now=now + dt.timedelta(days=182)).state == "current"
    assert (
        intake_status(client=intake.client, now=now + dt.timedelta(days=182, seconds=1)).state
        == "stale"
    )
    assert intake_status(client=None).state == "missing"
    assert intake_status(client=ClientProfileFactory()).state == "missing"
