from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories


def _nav(response) -> str:
    html = response.content.decode()
    start = html.index('aria-label="Main"')
    return html[start : html.index("</nav>", start)]


@pytest.mark.django_db
def test_visitors_see_log_in_and_sign_up(client):
    nav = _nav(client.get("/"))
    assert "Log in" in nav
    assert "Sign up" in nav
    assert "Log out" not in nav


@pytest.mark.django_db
def test_clients_see_their_visits(client):
    client.force_login(factories.ClientProfileFactory().user)
    nav = _nav(client.get("/"))
    assert "My visits" in nav
    assert "Log out" in nav
    assert "Calendar" not in nav
    assert reverse("admin:index") not in nav


@pytest.mark.django_db
def test_therapists_see_their_calendar_not_client_links(client):
    client.force_login(factories.TherapistProfileFactory().user)
    nav = _nav(client.get("/"))
    assert "Today" in nav
    assert "My visits" not in nav
    assert reverse("admin:index") not in nav


@pytest.mark.django_db
def test_staff_see_the_admin(client):
    client.force_login(factories.StaffFactory())
    nav = _nav(client.get("/"))
    assert reverse("admin:index") in nav
    assert "My visits" not in nav


@pytest.mark.django_db
def test_the_landing_page_explains_the_service(client):
    html = client.get("/").content.decode()
    for slug_name in (
        "Myofascial trigger point therapy",
        "Neuromuscular therapy (NMT)",
        "Sports trigger point therapy",
        "Clinical trigger point therapy",
    ):
        assert slug_name in html
    assert "where the pain travels" in html
    assert "20 minutes on and 20 off" in html
