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
