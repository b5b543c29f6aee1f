"""A therapist's services: add, edit, switch off, delete."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories
from therapists.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(client):
    profile = factories.TherapistProfileFactory(
        modalities=[factories.modality("sports"), factories.modality("clinical")]
    )
    client.force_login(profile.user)
    return profile


def test_it_adds_a_service_in_one_of_the_therapists_modalities(client, me):
    response = client.post(
        reverse("therapists:services"),
        {"modality": factories.modality("sports").pk, "duration_minutes": "90", "price": "135"},
    )
    assert response.status_code == 302
    service = Service.objects.get(therapist=me)
    assert (service.duration_minutes, service.price) == (90, Decimal("135.00"))
    assert service.is_active is False  # the checkbox was not ticked
    page = client.get(reverse("therapists:services")).content.decode()
    assert "Sports trigger point therapy, 90 min" in page


def test_it_offers_only_the_therapists_own_modalities(client, me):
    response = client.post(
        reverse("therapists:services"),
        {"modality": factories.modality("myofascial").pk, "duration_minutes": "60", "price": "90"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"duration_minutes": "61", "price": "90"}, "Select a valid choice"),
        ({"duration_minutes": "60", "price": "-1"}, "greater than or equal to 0"),
        ({"duration_minutes": "60", "price": "lots"}, "Enter a number"),
    ],
)
def test_it_explains_a_bad_service(client, me, data, message):
    data["modality"] = factories.modality("sports").pk
    response = client.post(reverse("therapists:services"), data)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_it_edits_a_service(client, me):
    service = factories.ServiceFactory(therapist=me, modality=factories.modality("sports"))
    response = client.post(
        reverse("therapists:service_edit", kwargs={"pk": service.pk}),
        {
            "modality": factories.modality("clinical").pk,
            "duration_minutes": "30",
            "price": "55",
            "name": "Quick reset",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.modality.slug, service.duration_minutes, service.name) == (
        "clinical",
        30,
        "Quick reset",
    )


def test_it_deletes_an_unbooked_service_and_retires_a_booked_one(client, me):
    unbooked = factories.ServiceFactory(therapist=me, modality=factories.modality("sports"))
    booked = factories.ServiceFactory(therapist=me, modality=factories.modality("sports"))
    factories.BookingFactory(service=booked)
    client.post(reverse("therapists:service_delete", kwargs={"pk": unbooked.pk}))
    response = client.post(
        reverse("therapists:service_delete", kwargs={"pk": booked.pk}), follow=True
    )
    assert not Service.objects.filter(pk=unbooked.pk).exists()
    booked.refresh_from_db()
    assert booked.is_active is False
    assert "no longer offered" in response.content.decode()
