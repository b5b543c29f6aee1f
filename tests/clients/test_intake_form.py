from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.body import REGIONS
from clients.models import Intake
from tests.clients.conftest import intake_post
from tests.factories import ClientProfileFactory, TherapistProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(client):
    """A client with version 1 saved; returns (profile, version 1)."""
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    client.post(reverse("clients:intake_edit"), intake_post())
    return profile, Intake.objects.get(client=profile)


def _assert_refused(response, saved, message: str) -> None:
    profile, first = saved
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Please fix" in html
    # Nothing new was stored and the saved version is untouched.
    assert list(profile.intakes.values_list("version", flat=True)) == [1]
    first.refresh_from_db()
    assert first.pressure == "firm"
    assert [(a.region, a.intensity) for a in first.pain_areas.all()] == [("upper-back-right", 6)]


def test_it_refuses_an_unknown_body_region(client, saved):
    response = client.post(
        reverse("clients:intake_edit"), intake_post(areas=["upper-back-right", "tail"])
    )
    _assert_refused(response, saved, "Select a valid choice. tail is not one of the available")


def test_it_refuses_an_unknown_region_the_pain_travels_to(client, saved):
    response = client.post(
        reverse("clients:intake_edit"), intake_post(**{"refers_upper-back-right": ["wing"]})
    )
    _assert_refused(response, saved, "Select a valid choice. wing is not one of the available")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11", "Ensure this value is less than or equal to 10."),
        ("-1", "Ensure this value is greater than or equal to 0."),
        ("lots", "Enter a whole number."),
        ("", "Give this area an intensity from 0 (none) to 10 (worst)."),
    ],
)
def test_it_refuses_an_intensity_out_of_range(client, saved, value, message):
    response = client.post(
        reverse("clients:intake_edit"), intake_post(**{"intensity_upper-back-right": value})
    )
    _assert_refused(response, saved, message)


def test_it_ignores_mistakes_in_an_area_that_is_not_ticked(client, saved):
    profile, _first = saved
    response = client.post(
        reverse("clients:intake_edit"), intake_post(**{"intensity_neck-back": "99"})
    )
    assert response.status_code == 302
    assert profile.intakes.count() == 2
    assert not profile.intakes.get(version=2).pain_areas.filter(region="neck-back").exists()


def test_it_refuses_a_last_massage_in_the_future(client, saved):
    tomorrow = timezone.localdate() + dt.timedelta(days=2)
    response = client.post(
        reverse("clients:intake_edit"), intake_post(last_massage_on=tomorrow.isoformat())
    )
    _assert_refused(response, saved, "The date of your last massage cannot be in the future.")


def test_it_asks_for_a_date_or_never(client, saved):
    response = client.post(reverse("clients:intake_edit"), intake_post(last_massage_on=""))
    _assert_refused(response, saved, "Give the date of your last massage, or tick")


def test_it_refuses_a_date_and_never_together(client, saved):
    response = client.post(reverse("clients:intake_edit"), intake_post(never_had_massage="on"))
    _assert_refused(response, saved, "Give a date or tick “never”, not both.")


@pytest.mark.parametrize("field", ["goals", "medications", "other_notes"])
def test_it_refuses_oversized_text(client, saved, field):
    response = client.post(reverse("clients:intake_edit"), intake_post(**{field: "a" * 2001}))
    _assert_refused(response, saved, "Ensure this value has at most 2000 characters (it has 2001).")


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("consent_treatment", "We need your consent to treatment before a visit."),
        ("consent_data", "We need your consent to store this health information."),
    ],
)
def test_it_requires_both_consents(client, saved, field, message):
    response = client.post(reverse("clients:intake_edit"), intake_post(**{field: None}))
    _assert_refused(response, saved, message)


def test_it_asks_to_confirm_a_ceiling_above_seven(client, saved):
    profile, _first = saved
    response = client.post(reverse("clients:intake_edit"), intake_post(discomfort_ceiling="9"))
    _assert_refused(response, saved, "You chose more than 7: tick the box to confirm")
    response = client.post(
        reverse("clients:intake_edit"),
        intake_post(discomfort_ceiling="9", confirm_high_ceiling="on"),
    )
    assert response.status_code == 302
    assert profile.intakes.get(version=2).discomfort_ceiling == 9


@pytest.mark.parametrize("value", ["0", "11"])
def test_it_refuses_a_ceiling_outside_one_to_ten(client, saved, value):
    response = client.post(
        reverse("clients:intake_edit"),
        intake_post(discomfort_ceiling=value, confirm_high_ceiling="on"),
    )
    _assert_refused(response, saved, "Ensure this value is")


def test_it_refuses_an_unknown_pressure_or_screening_value(client, saved):
    response = client.post(
        reverse("clients:intake_edit"), intake_post(pressure="crushing", screening=["vampirism"])
    )
    _assert_refused(response, saved, "Select a valid choice. crushing is not one of")
    assert "vampirism is not one of the available choices" in response.content.decode()


def test_a_first_time_client_saves_a_never_had_a_massage_intake(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    response = client.post(
        reverse("clients:intake_edit"),
        intake_post(
            last_massage_on="",
            never_had_massage="on",
            reasons=["fibromyalgia"],
            pressure="light",
            areas=["lower-back", "neck-back"],
            **{
                "intensity_lower-back": "0",
                "intensity_neck-back": "10",
                "refers_neck-back": ["head", "jaw-left"],
            },
        ),
        follow=True,
    )
    intake = profile.intakes.get()
    assert intake.never_had_massage and intake.last_massage_on is None
    assert {a.region: (a.intensity, a.refers_to) for a in intake.pain_areas.all()} == {
        "lower-back": (0, []),
        "neck-back": (10, ["head", "jaw-left"]),
    }  # upper-back-right still has its details in the post, but it is not ticked
    html = response.content.decode()
    # The client reads their flags in their own words, never the therapist's instructions.
    assert "This is your first massage" in html
    assert "First massage: start lighter" not in html
    assert "gentle, light pressure" in html


def test_the_form_works_without_javascript_every_region_is_a_labelled_checkbox(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    html = client.get(reverse("clients:intake_edit")).content.decode()
    for region in REGIONS:
        assert f'id="id_areas_{region.slug}"' in html
        assert f'<label class="form-check-label" for="id_areas_{region.slug}">' in html
        assert f'name="intensity_{region.slug}"' in html
        assert f'name="refers_{region.slug}"' in html
    # The drawing is decoration; the checkboxes are the controls.
    assert html.count('aria-hidden="true" focusable="false"') == 2
    assert "The most discomfort you accept, from 1 to 10" in html
    assert "About 7 is the" in html


def test_a_client_without_an_address_is_sent_to_the_profile_first(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("clients:intake_edit"))
    assert response.status_code == 302
    assert response["Location"] == "/me/details/?next=%2Fme%2Fintake%2F"


def test_therapists_and_staff_have_no_intake_form(client):
    client.force_login(TherapistProfileFactory().user)
    assert client.get(reverse("clients:intake_edit")).status_code == 403
    assert client.post(reverse("clients:intake_edit"), intake_post()).status_code == 403
    assert not Intake.objects.exists()


def test_the_error_summary_names_each_problem_in_page_order_and_links_to_it(client, saved):
    response = client.post(
        reverse("clients:intake_edit"),
        intake_post(
            discomfort_ceiling="9", consent_data=None, **{"intensity_upper-back-right": "12"}
        ),
    )
    html = response.content.decode()
    summary = html[
        html.index('id="form-errors"') : html.index("</div>", html.index('id="form-errors"'))
    ]
    assert 'href="#id_intensity_upper-back-right"' in summary
    assert "Upper back (right): intensity" in summary
    assert "Discomfort above 7" in summary
    assert "Consent to store health information" in summary
    assert summary.index("Upper back (right): intensity") < summary.index("Discomfort above 7")


def test_it_returns_the_client_to_where_they_were_going(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    slot = "/book/review/?therapist=1&service=2&starts_at=2026-12-07T15:00:00%2B00:00"
    form = client.get(reverse("clients:intake_edit"), {"next": slot})
    assert 'name="next"' in form.content.decode()
    response = client.post(reverse("clients:intake_edit"), intake_post(next=slot))
    assert response.status_code == 302
    assert response["Location"] == slot
    assert profile.intakes.count() == 1


def test_it_ignores_a_next_that_leaves_the_site(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    response = client.post(
        reverse("clients:intake_edit"), intake_post(next="https://evil.example/phish")
    )
    assert response.status_code == 302
    assert response["Location"] == profile.intakes.get().get_absolute_url()


def test_a_client_without_an_address_goes_through_it_and_keeps_the_next(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("clients:intake_edit"), {"next": "/book/?service=2"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(reverse("clients:profile_edit"))
    # The address page sends them back to the intake, which then sends them on to /book/.
    from urllib.parse import parse_qs, urlparse

    back = parse_qs(urlparse(location).query)["next"][0]
    assert back.startswith(reverse("clients:intake_edit"))
    assert parse_qs(urlparse(back).query)["next"] == ["/book/?service=2"]
