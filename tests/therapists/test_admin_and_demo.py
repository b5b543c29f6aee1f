"""Django admin for therapists, and the demo data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from tests import factories
from therapists import demo
from therapists.models import Modality, Service, TherapistProfile, TimeOff, WeeklyHours

pytestmark = pytest.mark.django_db


def test_it_approves_selected_therapists_from_admin(client):
    pending = factories.TherapistProfileFactory(approval=TherapistProfile.Approval.PENDING)
    client.force_login(factories.StaffFactory())
    response = client.post(
        reverse("admin:therapists_therapistprofile_changelist"),
        {"action": "approve", "_selected_action": [pending.pk]},
        follow=True,
    )
    assert "1 therapist approved" in response.content.decode()
    pending.refresh_from_db()
    assert pending.approval == TherapistProfile.Approval.APPROVED
    assert pending.approved_at is not None
    assert client.get(pending.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "therapists_therapistprofile",
        "therapists_service",
        "therapists_weeklyhours",
        "therapists_timeoff",
        "therapists_dateoverride",
        "therapists_modality",
    ],
)
def test_it_opens_each_admin_list_with_search_and_filters(client, name):
    factories.ServiceFactory()
    client.force_login(factories.StaffFactory())
    response = client.get(reverse(f"admin:{name}_changelist"), {"q": "a"})
    assert response.status_code == 200


def test_it_shows_the_inlines_on_a_therapist_in_admin(client):
    profile = factories.TherapistProfileFactory()
    client.force_login(factories.StaffFactory())
    body = client.get(
        reverse("admin:therapists_therapistprofile_change", args=[profile.pk])
    ).content.decode()
    for inline in ["services-TOTAL_FORMS", "weekly_hours-TOTAL_FORMS", "time_off-TOTAL_FORMS"]:
        assert inline in body


def test_it_keeps_the_four_modalities_in_admin_read_only_by_slug(client):
    client.force_login(factories.StaffFactory())
    assert sorted(Modality.objects.values_list("slug", flat=True)) == [
        "clinical",
        "myofascial",
        "neuromuscular",
        "sports",
    ]
    assert client.get(reverse("admin:therapists_modality_add")).status_code == 403


def test_it_seeds_demo_therapists_idempotently():
    first = demo.seed(password="demo-pass-123")
    counts = (
        TherapistProfile.objects.count(),
        Service.objects.count(),
        WeeklyHours.objects.count(),
        TimeOff.objects.count(),
    )
    second = demo.seed(password="demo-pass-123")
    assert first == second
    assert ("therapist", "maya@homeknots.example") in first
    assert counts == (
        TherapistProfile.objects.count(),
        Service.objects.count(),
        WeeklyHours.objects.count(),
        TimeOff.objects.count(),
    )
    approved = TherapistProfile.objects.filter(approval=TherapistProfile.Approval.APPROVED)
    assert approved.count() >= 6
    covered = set(approved.values_list("modalities__slug", flat=True))
    assert covered == {"myofascial", "neuromuscular", "sports", "clinical"}
    for profile in approved:
        assert profile.photo.name.startswith("therapists/demo-")
        assert profile.photo.storage.exists(profile.photo.name)
        assert profile.latitude is not None
        assert profile.weekly_hours.exists()
        assert set(profile.services.values_list("duration_minutes", flat=True)) >= {30, 60, 90}
    assert TimeOff.objects.exists()
    maya = User.objects.get(email="maya@homeknots.example")
    assert maya.role == User.Role.THERAPIST
    assert maya.check_password("demo-pass-123")


def test_it_gives_demo_therapists_free_slots_in_the_next_two_weeks():
    from booking.selectors import next_free_slots

    demo.seed(password="demo-pass-123")
    for profile in TherapistProfile.objects.all():
        assert next_free_slots(therapist=profile, count=1, days=14), profile.display_name
