"""The public directory: filters by modality and by the client's postcode."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from therapists.models import TherapistProfile
from therapists.selectors import therapist_directory

pytestmark = pytest.mark.django_db

# Home bases: Chelsea (Manhattan), Park Slope (Brooklyn), Hoboken (New Jersey).
CHELSEA = {
    "postcode": "10011",
    "latitude": Decimal("40.740225"),
    "longitude": Decimal("-73.998730"),
}
PARK_SLOPE = {
    "postcode": "11215",
    "latitude": Decimal("40.662191"),
    "longitude": Decimal("-73.986200"),
}
HOBOKEN = {
    "postcode": "07030",
    "latitude": Decimal("40.745255"),
    "longitude": Decimal("-74.027933"),
}


def therapist(name: str, slug: str, where: dict, radius: int, **kwargs) -> TherapistProfile:
    profile = factories.TherapistProfileFactory(
        display_name=name,
        modalities=[factories.modality(slug)],
        radius_km=radius,
        **where,
        **kwargs,
    )
    factories.ServiceFactory(
        therapist=profile, modality=factories.modality(slug), price=Decimal("90")
    )
    factories.ServiceFactory(
        therapist=profile,
        modality=factories.modality(slug),
        duration_minutes=90,
        price=Decimal("130"),
    )
    return profile


@pytest.fixture
def cast():
    return {
        "maya": therapist("Maya Chen", "myofascial", CHELSEA, radius=5),
        "jordan": therapist("Jordan Reyes", "sports", PARK_SLOPE, radius=5),
        "marcus": therapist("Marcus Hill", "sports", HOBOKEN, radius=20),
        "pending": therapist(
            "Pat Pending", "sports", CHELSEA, radius=50, approval=TherapistProfile.Approval.PENDING
        ),
    }


def names(response) -> list[str]:
    return [e.therapist.display_name for e in response.context["page"].object_list]


def test_it_lists_only_approved_therapists(client, cast):
    response = client.get(reverse("therapists:directory"))
    assert response.status_code == 200
    assert names(response) == ["Jordan Reyes", "Marcus Hill", "Maya Chen"]
    assert "Pat Pending" not in response.content.decode()


def test_it_filters_by_modality(client, cast):
    response = client.get(reverse("therapists:directory"), {"modality": "sports"})
    assert names(response) == ["Jordan Reyes", "Marcus Hill"]


def test_it_filters_by_the_clients_postcode_against_each_radius(client, cast):
    # 10001 (Midtown): Maya's 5 km from Chelsea reaches it, Marcus's 20 km from Hoboken too;
    # Jordan's 5 km from Park Slope does not.
    response = client.get(reverse("therapists:directory"), {"postcode": "10001"})
    assert names(response) == ["Maya Chen", "Marcus Hill"]  # nearest first
    body = response.content.decode()
    assert re.search(r"\d\.\d mi from their base", body)  # a US ZIP: miles
    assert " km " not in body


def test_it_combines_modality_and_postcode(client, cast):
    response = client.get(
        reverse("therapists:directory"), {"modality": "sports", "postcode": "11217"}
    )
    assert names(response) == ["Jordan Reyes", "Marcus Hill"]
    response = client.get(
        reverse("therapists:directory"), {"modality": "myofascial", "postcode": "11217"}
    )
    assert names(response) == []
    assert "Nobody matches yet" in response.content.decode()


def test_it_explains_an_unknown_postcode_instead_of_failing(client, cast):
    response = client.get(reverse("therapists:directory"), {"postcode": "99999"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "We don’t know the ZIP code “99999”" in body
    assert len(names(response)) == 3


def test_it_ignores_an_unknown_modality_with_a_message(client, cast):
    response = client.get(reverse("therapists:directory"), {"modality": "reiki"})
    assert response.status_code == 200
    assert "We don’t offer that kind of therapy" in response.content.decode()
    assert len(names(response)) == 3


def test_it_shows_photo_modalities_and_price_range(client, cast):
    body = client.get(reverse("therapists:directory"), {"modality": "myofascial"}).content.decode()
    assert "Maya Chen" in body
    assert "therapists/placeholder.svg" in body
    assert "Myofascial trigger point therapy" in body
    assert "$90–$130" in body


def test_it_shows_the_next_free_slot(client, cast):
    maya = cast["maya"]
    for weekday in range(7):
        factories.WeeklyHoursFactory(therapist=maya, weekday=weekday)
    response = client.get(
        reverse("therapists:directory"), {"modality": "myofascial", "postcode": "10011"}
    )
    entry = response.context["page"].object_list[0]
    assert entry.next_slot is not None
    assert entry.next_slot.tzinfo is not None
    assert 'datetime="' in response.content.decode()
    assert (
        "No free time in the next two weeks"
        in client.get(
            reverse("therapists:directory"), {"modality": "sports", "postcode": "11215"}
        ).content.decode()
    )


def test_it_reads_the_directory_in_a_fixed_number_of_queries(cast):
    with CaptureQueriesContext(connection) as few:
        entries = therapist_directory(postcode="10001").entries
        [(e.price_min, [m.name for m in e.modalities]) for e in entries]
    for n in range(6):
        therapist(f"Extra {n}", "clinical", CHELSEA, radius=10)
    with CaptureQueriesContext(connection) as many:
        entries = therapist_directory(postcode="10001").entries
        [(e.price_min, [m.name for m in e.modalities]) for e in entries]
    assert len(entries) == 8
    assert len(many) == len(few) == 4
