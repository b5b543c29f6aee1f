from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from clients.models import ClientProfile
from tests.factories import ClientProfileFactory, TherapistProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def profile_post(**overrides):
    data = {
        "first_name": "Robin",
        "last_name": "Lee",
        "phone": "+1 212 555 0100",
        "street": "350 West 31st Street, Apt 4B",
        "city": "New York",
        "state": "NY",
        "postcode": "10001",
        "access_notes": "Buzzer 4B; a dog who loves everyone.",
        "emergency_contact_name": "Sam Lee",
        "emergency_contact_phone": "212-555-0111",
        "email_reminders": "on",
        "time_zone": "America/Chicago",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_new_client_creates_their_profile_with_coordinates(client):
    user = UserFactory(first_name="", last_name="")
    client.force_login(user)
    assert client.get(reverse("clients:profile_edit")).status_code == 200
    response = client.post(reverse("clients:profile_edit"), profile_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    profile = ClientProfile.objects.get(user=user)
    assert profile.point is not None
    assert abs(profile.latitude - Decimal("40.7484")) < Decimal("0.01")
    assert abs(profile.longitude - Decimal("-73.9967")) < Decimal("0.01")
    assert profile.access_notes == "Buzzer 4B; a dog who loves everyone."
    assert profile.emergency_contact_name == "Sam Lee"
    assert profile.email_reminders is True
    assert profile.time_zone == "America/Chicago"
    assert profile.state == "NY"
    assert profile.address_one_line == "350 West 31st Street, Apt 4B, New York, NY 10001"
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Robin", "Lee")


def test_a_client_turns_e_mail_reminders_off_and_moves(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    client.post(
        reverse("clients:profile_edit"),
        profile_post(email_reminders=None, postcode="11249", city="Brooklyn"),
    )
    profile.refresh_from_db()
    assert profile.email_reminders is False
    assert profile.postcode == "11249"
    assert abs(profile.latitude - Decimal("40.6451")) < Decimal("0.01")


def test_it_goes_on_to_the_intake_when_asked(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("clients:profile_edit") + "?next=/me/intake/", profile_post(next="/me/intake/")
    )
    assert response["Location"] == "/me/intake/"


def test_it_ignores_a_next_url_on_another_site(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("clients:profile_edit"), profile_post(next="https://evil.example/")
    )
    assert response["Location"] == reverse("dashboard")


def test_an_unknown_postcode_is_refused_with_a_clear_message_and_nothing_is_lost(client):
    profile = ClientProfileFactory(street="1 Old Street")
    client.force_login(profile.user)
    response = client.post(
        reverse("clients:profile_edit"), profile_post(postcode="SW1A 1AA", street="New Street")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "We could not find the postcode “SW1A 1AA”" in html
    assert "Enter a 5-digit US ZIP code" in html
    profile.refresh_from_db()
    assert profile.street == "1 Old Street"
    assert profile.postcode == "10001"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "call me"}, "Enter a phone number with 7 to 15 digits"),
        ({"phone": ""}, "This field is required."),
        ({"street": ""}, "This field is required."),
        ({"access_notes": "x" * 1001}, "at most 1000 characters"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice."),
        ({"emergency_contact_phone": "12"}, "Enter a phone number with 7 to 15 digits"),
    ],
)
def test_bad_profile_input_gets_a_message_on_the_form(client, overrides, message):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("clients:profile_edit"), profile_post(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ClientProfile.objects.filter(user=user).exists()


def test_only_clients_have_this_page(client):
    client.force_login(TherapistProfileFactory().user)
    assert client.get(reverse("clients:profile_edit")).status_code == 403
    client.logout()
    response = client.get(reverse("clients:profile_edit"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_refuses_a_state_that_is_not_the_zips(client):
    profile = ClientProfileFactory()
    client.force_login(profile.user)
    response = client.post(reverse("clients:profile_edit"), profile_post(state="NJ"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ZIP code 10001 is in New York, not New Jersey" in html
    profile.refresh_from_db()
    assert profile.state != "NJ"


def test_the_service_refuses_a_state_that_is_not_the_zips_too(db):
    from django.core.exceptions import ValidationError

    from clients.services import client_profile_save

    data = profile_post(state="CA", email_reminders=True)
    with pytest.raises(ValidationError) as refused:
        client_profile_save(user=UserFactory(), **data)
    assert refused.value.message_dict == {
        "state": ["ZIP code 10001 is in New York, not California: check the state or the ZIP code."]
    }
    assert not ClientProfile.objects.exists()


def test_it_asks_for_the_state(client):
    client.force_login(UserFactory())
    response = client.post(reverse("clients:profile_edit"), profile_post(state=""))
    assert response.status_code == 200
    assert "Choose the state of your address." in response.content.decode()
    assert not ClientProfile.objects.exists()


def test_the_service_takes_the_state_from_the_zip_when_none_is_given(db):
    from clients.services import client_profile_save

    user = UserFactory()
    data = profile_post(state=None, email_reminders=True)
    data.pop("time_zone")
    profile = client_profile_save(user=user, **data)
    assert profile.state == "NY"


def test_the_time_zone_menu_lists_the_us_zones_first_in_words_and_no_old_aliases(client):
    client.force_login(UserFactory())
    html = client.get(reverse("clients:profile_edit")).content.decode()
    common = html.index('<optgroup label="Common in the US">')
    rest = html.index('<optgroup label="Everywhere else">')
    assert common < rest
    eastern = html.index('<option value="America/New_York"')
    assert common < eastern < rest
    assert ">Eastern Time</option>" in html and ">Pacific Time</option>" in html
    assert "Europe / London</option>" in html[rest:]
    for alias in ("US/Eastern", "Asia/Calcutta", "America/Indianapolis", "Etc/GMT"):
        assert f'value="{alias}"' not in html
    assert html.count('value="America/New_York"') == 1


def test_a_zone_saved_under_an_old_name_stays_selected(client):
    profile = ClientProfileFactory(time_zone="US/Eastern")
    client.force_login(profile.user)
    html = client.get(reverse("clients:profile_edit")).content.decode()
    assert '<option value="US/Eastern" selected>' in html
