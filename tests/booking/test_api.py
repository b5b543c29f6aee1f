"""``/api/therapists/<id>/slots``: the contract in CONTRACTS.md."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from booking.selectors import available_slots
from booking.views import API_MAX_DAYS
from tests import factories


def url(therapist_id: int) -> str:
    return f"/api/therapists/{therapist_id}/slots"


def test_it_lists_the_free_slots_as_iso_8601_with_offset(client, setup):
    today = timezone.localtime(timezone.now(), setup.therapist.tz).date()
    response = client.get(
        url(setup.therapist.pk),
        {"service": setup.service.pk, "start": today.isoformat(), "days": 3},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    expected = available_slots(
        therapist=setup.therapist, service=setup.service, start_date=today, days=3
    )
    assert len(data) == len(expected) > 0
    parsed = [dt.datetime.fromisoformat(s) for s in data]
    assert all(p.utcoffset() is not None for p in parsed)
    assert data[0].endswith(("-05:00", "-04:00"))  # the therapist's New York offset
    assert parsed == expected
    assert parsed == sorted(set(parsed))


def test_it_defaults_to_a_week_from_today(client, setup):
    response = client.get(url(setup.therapist.pk), {"service": setup.service.pk})
    assert response.status_code == 200
    parsed = [dt.datetime.fromisoformat(s) for s in response.json()]
    assert parsed
    assert parsed[-1] - parsed[0] < dt.timedelta(days=7)


def test_it_caps_the_number_of_days(client, setup):
    today = timezone.localtime(timezone.now(), setup.therapist.tz).date()
    many = client.get(
        url(setup.therapist.pk),
        {"service": setup.service.pk, "start": today.isoformat(), "days": 5000},
    ).json()
    capped = client.get(
        url(setup.therapist.pk),
        {"service": setup.service.pk, "start": today.isoformat(), "days": API_MAX_DAYS},
    ).json()
    assert many == capped
    last = dt.datetime.fromisoformat(many[-1]).date()
    assert last < today + dt.timedelta(days=API_MAX_DAYS + 1)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"service": "abc"},
        {"service": "1", "start": "2026-13-45"},
        {"service": "1", "start": "next week"},
        {"service": "1", "days": "many"},
        {"service": "1", "days": "0"},
        {"service": "1", "days": "-3"},
    ],
)
def test_bad_parameters_get_a_400_with_a_message(client, setup, params):
    if params.get("service") == "1":
        params = {**params, "service": str(setup.service.pk)}
    response = client.get(url(setup.therapist.pk), params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_service_of_another_therapist_is_a_400(client, setup):
    other = factories.ServiceFactory()
    response = client.get(url(setup.therapist.pk), {"service": other.pk})
    assert response.status_code == 400
    assert "does not offer" in response.json()["error"]


def test_an_unknown_therapist_is_a_404(client, setup):
    response = client.get(url(999999), {"service": setup.service.pk})
    assert response.status_code == 404
    assert response.json()["error"]


def test_an_unapproved_therapist_is_a_404(client, setup):
    setup.therapist.approval = setup.therapist.Approval.PENDING
    setup.therapist.save()
    response = client.get(url(setup.therapist.pk), {"service": setup.service.pk})
    assert response.status_code == 404


def test_it_only_answers_get(client, setup):
    assert client.post(url(setup.therapist.pk), {"service": setup.service.pk}).status_code == 405
