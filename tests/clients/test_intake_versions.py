from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients.models import Intake, PainArea
from clients.selectors import intake_changes, intake_current
from clients.services import PainAreaInput, intake_create
from tests.clients.conftest import intake_post
from tests.factories import BookingFactory, ClientProfileFactory

pytestmark = pytest.mark.django_db


def _create(client, **overrides):
    data = {
        "pressure": Intake.Pressure.FIRM,
        "consent_treatment": True,
        "consent_data": True,
        "last_massage_on": timezone.localdate() - dt.timedelta(days=10),
        "pain_areas": [PainAreaInput("upper-back-right", 6, ("arm-right",))],
    }
    data.update(overrides)
    data.setdefault("screening_none", not data.get("screening"))
    return intake_create(client=client, **data)


def test_it_numbers_versions_and_records_consent_time():
    profile = ClientProfileFactory()
    now = timezone.now()
    first = _create(profile, now=now)
    second = _create(profile, pressure=Intake.Pressure.LIGHT)
    assert (first.version, second.version) == (1, 2)
    assert first.consented_at == now
    assert intake_current(client=profile) == second


def test_it_never_changes_an_earlier_version():
    profile = ClientProfileFactory()
    first = _create(profile)
    _create(
        profile,
        pressure=Intake.Pressure.LIGHT,
        pain_areas=[PainAreaInput("neck-back", 3, ("head",))],
    )
    first.refresh_from_db()
    assert first.pressure == Intake.Pressure.FIRM
    assert [(a.region, a.intensity, a.refers_to) for a in first.pain_areas.all()] == [
        ("upper-back-right", 6, ["arm-right"])
    ]


def test_it_drops_pain_travelling_to_its_own_area_and_repeats():
    intake = _create(
        ClientProfileFactory(),
        pain_areas=[PainAreaInput("neck-back", 4, ("neck-back", "head", "head"))],
    )
    assert intake.pain_areas.get().refers_to == ["head"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent_data": False}, "consent_data"),
        ({"consent_treatment": False}, "consent_treatment"),
        ({"pain_areas": [PainAreaInput("tail", 3)]}, "areas"),
        ({"pain_areas": [PainAreaInput("neck-back", 11)]}, "areas"),
        ({"pain_areas": [PainAreaInput("neck-back", 3, ("wing",))]}, "areas"),
        ({"last_massage_on": timezone.localdate() + dt.timedelta(days=2)}, "last_massage_on"),
        ({"last_massage_on": None}, "last_massage_on"),
        ({"never_had_massage": True}, "last_massage_on"),
        ({"discomfort_ceiling": 11}, "discomfort_ceiling"),
        ({"pressure": "crushing"}, "pressure"),
        ({"screening": ["vampirism"]}, "screening"),
        ({"goals": "x" * 2001}, "goals"),
    ],
)
def test_the_service_refuses_bad_data_and_writes_nothing(overrides, field):
    profile = ClientProfileFactory()
    with pytest.raises(ValidationError) as exc:
        _create(profile, **overrides)
    assert field in exc.value.message_dict
    assert not Intake.objects.exists()
    assert not PainArea.objects.exists()


def test_editing_through_the_form_creates_a_version_and_a_booking_keeps_the_old_one(
    client, post_data
):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    response = client.post(reverse("clients:intake_edit"), post_data())
    first = Intake.objects.get()
    assert response.status_code == 302
    assert response["Location"] == first.get_absolute_url()
    booking = BookingFactory(client=profile, intake=first)

    response = client.post(
        reverse("clients:intake_edit"),
        post_data(pressure="light", **{"intensity_upper-back-right": "8"}),
        follow=True,
    )

    assert response.status_code == 200
    assert Intake.objects.filter(client=profile).count() == 2
    second = intake_current(client=profile)
    assert second.version == 2 and second.pressure == "light"
    booking.refresh_from_db()
    assert booking.intake_id == first.pk
    first.refresh_from_db()
    assert first.pressure == "firm"
    assert first.pain_areas.get().intensity == 6
    # The new version's page says what changed.
    html = response.content.decode()
    assert "What changed since the previous version" in html
    assert "Firm → Light" in html
    assert "6/10 (travels to Upper arm (right)) → 8/10 (travels to Upper arm (right))" in html


def test_saving_again_unchanged_still_makes_a_version_and_says_nothing_changed(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    client.post(reverse("clients:intake_edit"), intake_post())
    response = client.post(reverse("clients:intake_edit"), intake_post(), follow=True)
    assert profile.intakes.count() == 2
    assert "No changes since version 1" in response.content.decode()


def test_the_form_is_prefilled_from_the_current_version_except_consent(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    client.post(reverse("clients:intake_edit"), intake_post(goals="Sleep better"))
    response = client.get(reverse("clients:intake_edit"))
    form = response.context["form"]
    assert form.initial["goals"] == "Sleep better"
    assert form.initial["areas"] == ["upper-back-right"]
    assert form.initial["intensity_upper-back-right"] == 6
    assert "consent_data" not in form.initial
    assert "You are updating version 1" in response.content.decode()


def test_intake_changes_lists_each_difference():
    profile = ClientProfileFactory()
    old = _create(profile, screening=[], reasons=["back_neck"])
    new = _create(
        profile,
        screening=["pregnancy"],
        reasons=["back_neck", "stress"],
        discomfort_ceiling=8,
        pain_areas=[
            PainAreaInput("upper-back-right", 6, ("arm-right",)),
            PainAreaInput("jaw-left", 4, ("head",)),
        ],
    )
    changes = {c.field: (c.before, c.after) for c in intake_changes(old, new)}
    assert changes["screening"] == ("none", "Pregnancy")
    assert changes["reasons"] == (
        "Chronic back or neck pain",
        "Chronic back or neck pain, Stress or anxiety",
    )
    assert changes["discomfort_ceiling"] == ("7/10", "8/10")
    assert changes["area:jaw-left"] == ("not marked", "4/10 (travels to Head and temples)")
    assert "area:upper-back-right" not in changes
    assert "pressure" not in changes
    assert intake_changes(None, new) == []
