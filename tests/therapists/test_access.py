"""Who may open what: a therapist's own pages are theirs alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories
from therapists.models import DateOverride, TimeOff

pytestmark = pytest.mark.django_db

# Pages about "me": another therapist simply gets their own, so clients and visitors are
# the ones to keep out.
OWN_PAGES = [
    ("get", "therapists:profile_edit", {}),
    ("get", "therapists:hours", {}),
    ("get", "therapists:services", {}),
    ("get", "therapists:calendar", {}),
    ("post", "therapists:profile_edit", {}),
    ("post", "therapists:hours", {}),
    ("post", "therapists:services", {}),
    ("post", "therapists:time_off_add", {}),
    ("post", "therapists:override_add", {}),
    ("post", "therapists:calendar_block", {}),
    ("post", "therapists:feed_reset", {}),
]


@pytest.fixture
def owner():
    return factories.TherapistProfileFactory()


@pytest.fixture
def owned(owner):
    """One of each thing the owner has, by URL name and kwargs."""
    service = factories.ServiceFactory(therapist=owner)
    booking = factories.BookingFactory(service=service)
    block = TimeOff.objects.create(
        therapist=owner,
        starts_at=dt.datetime(2030, 1, 1, 5, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 1, 2, 5, tzinfo=dt.UTC),
    )
    extra = DateOverride.objects.create(
        therapist=owner, date=dt.date(2030, 1, 5), start_time=dt.time(9), end_time=dt.time(12)
    )
    return [
        ("get", "therapists:service_edit", {"pk": service.pk}),
        ("post", "therapists:service_edit", {"pk": service.pk}),
        ("post", "therapists:service_delete", {"pk": service.pk}),
        ("post", "therapists:time_off_delete", {"pk": block.pk}),
        ("post", "therapists:override_delete", {"pk": extra.pk}),
        ("get", "therapists:visit", {"pk": booking.pk}),
    ]


def _call(client, method, name, kwargs, **extra):
    return getattr(client, method)(reverse(name, kwargs=kwargs), **extra)


def test_it_gives_another_therapist_404_on_every_owned_object(client, owner, owned):
    intruder = factories.TherapistProfileFactory()
    client.force_login(intruder.user)
    for method, name, kwargs in owned:
        response = _call(client, method, name, kwargs)
        assert response.status_code == 404, (method, name)
    # Nothing was changed or deleted along the way.
    assert owner.services.count() == 1
    assert owner.time_off.count() == 1
    assert owner.date_overrides.count() == 1


def test_it_gives_a_client_403_on_every_therapist_url(client, owner, owned):
    client.force_login(factories.ClientProfileFactory().user)
    for method, name, kwargs in [*OWN_PAGES, *owned, ("get", "therapists:calendar_events", {})]:
        response = _call(client, method, name, kwargs)
        assert response.status_code == 403, (method, name)
    assert owner.services.count() == 1


def test_it_sends_a_visitor_to_log_in_and_never_shows_a_page(client, owner, owned):
    for method, name, kwargs in [*OWN_PAGES, *owned]:
        response = _call(client, method, name, kwargs)
        if method == "get":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("account_login")), name
        else:
            assert response.status_code == 403, (method, name)
    assert owner.time_off.count() == 1


def test_it_refuses_the_calendar_json_to_anyone_but_a_therapist(client, owner):
    url = reverse("therapists:calendar_events") + "?start=2030-01-01&end=2030-01-08"
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 403
    client.force_login(factories.ClientProfileFactory().user)
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 403


def test_it_scopes_the_calendar_json_to_the_logged_in_therapist(client, owner):
    theirs = factories.BookingFactory(service=factories.ServiceFactory(therapist=owner))
    intruder = factories.TherapistProfileFactory()
    client.force_login(intruder.user)
    start = theirs.starts_at - dt.timedelta(days=1)
    response = client.get(
        reverse("therapists:calendar_events"),
        {"start": start.isoformat(), "end": (start + dt.timedelta(days=7)).isoformat()},
    )
    assert response.status_code == 200
    ids = [e.get("id") for e in response.json()]
    assert f"booking-{theirs.pk}" not in ids


def test_it_404s_a_feed_with_a_wrong_or_old_token(client, owner):
    old = owner.calendar_token
    assert client.get(reverse("therapists:feed", kwargs={"token": old})).status_code == 200
    assert client.get(reverse("therapists:feed", kwargs={"token": "nope"})).status_code == 404
    assert client.get(reverse("therapists:feed", kwargs={"token": old[:-1]})).status_code == 404
    client.force_login(owner.user)
    client.post(reverse("therapists:feed_reset"))
    owner.refresh_from_db()
    assert owner.calendar_token != old
    assert client.get(reverse("therapists:feed", kwargs={"token": old})).status_code == 404


def test_it_lets_staff_open_any_visit(client, owner):
    booking = factories.BookingFactory(service=factories.ServiceFactory(therapist=owner))
    client.force_login(factories.StaffFactory())
    response = client.get(reverse("therapists:visit", kwargs={"pk": booking.pk}))
    assert response.status_code == 200
    assert booking.client.user.first_name in response.content.decode()


def test_it_lets_the_owner_open_each_of_their_pages(client, owner, owned):
    client.force_login(owner.user)
    for method, name, kwargs in [*OWN_PAGES, *owned]:
        if method == "get":
            assert _call(client, method, name, kwargs).status_code == 200, name
