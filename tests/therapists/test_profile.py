"""Sign-up, the profile form (photo, postcode, modalities) and who sees a profile."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import User
from tests import factories
from therapists.models import TherapistProfile

pytestmark = pytest.mark.django_db


def image_upload(size=(1800, 1200), fmt="PNG", mode="RGBA", name="me.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 120, 90, 255) if mode == "RGBA" else (200, 120, 90)).save(
        buffer, format=fmt
    )
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def profile_post(profile: TherapistProfile, **overrides) -> dict:
    data = {
        "display_name": "Robin Lee",
        "bio": "Neck and shoulders.",
        "years_of_practice": "7",
        "licence_number": "NY-LMT-1234",
        "modalities": [factories.modality("sports").pk, factories.modality("clinical").pk],
        "languages": "English, French",
        "accepts_new_clients": "on",
        "time_zone": "America/Chicago",
        "postcode": "11215",
        "radius": "12",  # miles: a US ZIP
        "travel_speed": "25",  # mph
        "min_travel_buffer_minutes": "20",
        "min_notice_hours": "6",
        "max_visits_per_day": "4",
        "auto_confirm": "",
    }
    data.update(overrides)
    return data


def test_it_signs_up_a_therapist_with_a_pending_profile(client):
    response = client.post(
        reverse("therapists:signup"),
        {
            "first_name": "Robin",
            "last_name": "Lee",
            "email": "robin@example.com",
            "password1": "knots-be-gone-2026",
            "password2": "knots-be-gone-2026",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("therapists:profile_edit")
    user = User.objects.get(email="robin@example.com")
    assert user.role == User.Role.THERAPIST
    profile = user.therapist_profile
    assert profile.approval == TherapistProfile.Approval.PENDING
    assert profile.slug == "robin-lee"
    # Hidden from the public until approved.
    client.logout()
    assert client.get(profile.get_absolute_url()).status_code == 404
    directory = client.get(reverse("therapists:directory")).content.decode()
    assert "Robin Lee" not in directory


def test_it_keeps_the_ordinary_signup_for_clients(client):
    client.post(
        reverse("account_signup"),
        {
            "first_name": "Dana",
            "last_name": "Doe",
            "email": "dana@example.com",
            "password1": "knots-be-gone-2026",
            "password2": "knots-be-gone-2026",
        },
    )
    user = User.objects.get(email="dana@example.com")
    assert user.role == User.Role.CLIENT
    assert not TherapistProfile.objects.filter(user=user).exists()


def test_it_saves_the_profile_and_geocodes_the_postcode(client):
    profile = factories.TherapistProfileFactory(approval=TherapistProfile.Approval.PENDING)
    client.force_login(profile.user)
    response = client.post(reverse("therapists:profile_edit"), profile_post(profile))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.display_name == "Robin Lee"
    assert profile.time_zone == "America/Chicago"
    assert profile.postcode == "11215"
    # Park Slope, Brooklyn.
    assert Decimal("40.6") < profile.latitude < Decimal("40.7")
    assert Decimal("-74.0") < profile.longitude < Decimal("-73.9")
    assert set(profile.modalities.values_list("slug", flat=True)) == {"sports", "clinical"}
    assert profile.auto_confirm is False
    # Editing the profile does not approve it.
    assert profile.approval == TherapistProfile.Approval.PENDING


def test_it_explains_an_unknown_postcode_and_saves_nothing(client):
    profile = factories.TherapistProfileFactory()
    client.force_login(profile.user)
    response = client.post(
        reverse("therapists:profile_edit"), profile_post(profile, postcode="SW1A 1AA")
    )
    assert response.status_code == 200
    assert "We could not find postcode" in response.content.decode()
    profile.refresh_from_db()
    assert profile.postcode == "10001"
    assert profile.display_name != "Robin Lee"


def test_it_keeps_staff_typed_coordinates_for_a_foreign_postcode(client):
    profile = factories.TherapistProfileFactory(
        postcode="SW1A 1AA", latitude=Decimal("51.501009"), longitude=Decimal("-0.141588")
    )
    client.force_login(profile.user)
    response = client.post(
        reverse("therapists:profile_edit"), profile_post(profile, postcode="SW1A 1AA")
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.latitude == Decimal("51.501009")
    assert profile.display_name == "Robin Lee"


def test_it_requires_at_least_one_modality(client):
    profile = factories.TherapistProfileFactory()
    client.force_login(profile.user)
    response = client.post(reverse("therapists:profile_edit"), profile_post(profile, modalities=[]))
    assert response.status_code == 200
    assert "Choose at least one modality" in response.content.decode()
    assert profile.modalities.count() == 1


def test_it_shrinks_an_uploaded_photo_and_replaces_a_placeholder(client):
    profile = factories.TherapistProfileFactory()
    assert profile.photo_url.endswith("therapists/placeholder.svg")
    client.force_login(profile.user)
    data = profile_post(profile, photo=image_upload())
    response = client.post(reverse("therapists:profile_edit"), data)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.photo.name.endswith(".jpg")
    with Image.open(profile.photo.path) as saved:
        assert saved.format == "JPEG"
        assert max(saved.size) == 600
        assert saved.size == (600, 400)
    assert profile.photo_url == profile.photo.url


def test_it_refuses_a_file_that_is_not_an_image(client):
    profile = factories.TherapistProfileFactory()
    client.force_login(profile.user)
    fake = SimpleUploadedFile("me.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(reverse("therapists:profile_edit"), profile_post(profile, photo=fake))
    assert response.status_code == 200
    assert "Upload a photo in JPEG, PNG or WebP format" in response.content.decode()
    profile.refresh_from_db()
    assert not profile.photo


def test_it_removes_the_photo_on_request(client):
    profile = factories.TherapistProfileFactory()
    client.force_login(profile.user)
    client.post(reverse("therapists:profile_edit"), profile_post(profile, photo=image_upload()))
    profile.refresh_from_db()
    assert profile.photo
    client.post(reverse("therapists:profile_edit"), profile_post(profile, remove_photo="on"))
    profile.refresh_from_db()
    assert not profile.photo


def test_it_shows_an_approved_profile_to_everyone(client):
    profile = factories.TherapistProfileFactory(display_name="Maya Chen", bio="Knots, gently.")
    factories.ServiceFactory(therapist=profile, duration_minutes=90, price=Decimal("140"))
    page = client.get(profile.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert "Maya Chen" in body
    assert "Knots, gently." in body
    assert "$140.00" in body
    assert "Myofascial trigger point therapy" in body
    assert "within 12 mi of 10001" in body  # 20 km, shown in miles for a US ZIP


@pytest.mark.parametrize("approval", ["pending", "rejected"])
def test_it_lets_only_the_owner_and_staff_preview_an_unapproved_profile(client, approval):
    profile = factories.TherapistProfileFactory(approval=approval)
    url = profile.get_absolute_url()
    assert client.get(url).status_code == 404
    client.force_login(factories.ClientProfileFactory().user)
    assert client.get(url).status_code == 404
    client.force_login(factories.TherapistProfileFactory().user)
    assert client.get(url).status_code == 404
    client.force_login(profile.user)
    assert "This is a preview" in client.get(url).content.decode()
    client.force_login(factories.StaffFactory())
    assert client.get(url).status_code == 200


def test_it_never_gives_a_profile_a_slug_that_shadows_a_page():
    from therapists.services import unique_slug

    factories.TherapistProfileFactory(slug="sam-lee")
    assert unique_slug("Sam Lee") == "sam-lee-2"
    assert unique_slug("Me") == "me-therapist"
    assert unique_slug("Signup") == "signup-therapist"


def test_it_links_each_next_free_time_to_the_booking_flow(client):
    from urllib.parse import parse_qs, urlsplit

    from booking.forms import parse_slot

    profile = factories.TherapistProfileFactory()
    service = factories.ServiceFactory(therapist=profile)
    for weekday in range(7):
        factories.WeeklyHoursFactory(therapist=profile, weekday=weekday)
    response = client.get(profile.get_absolute_url(), {"postcode": "10001"})
    ((_, slots),) = response.context["offers"]
    assert len(slots) == 3
    days = {slot.astimezone(profile.tz).date() for slot, _ in slots}
    assert len(days) == 3  # one choice on each of three days, not 9:00, 9:15, 9:30
    slot, url = slots[0]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == reverse("booking:start")
    assert query["therapist"] == [str(profile.pk)]
    assert query["service"] == [str(service.pk)]
    assert parse_slot(query["starts_at"][0]) == slot
    assert url.replace("&", "&amp;") in response.content.decode()


def test_a_us_therapist_gives_distance_and_speed_in_miles_stored_in_km(client):
    profile = factories.TherapistProfileFactory(postcode="11215", radius_km=15)
    client.force_login(profile.user)
    page = client.get(reverse("therapists:profile_edit")).content.decode()
    assert "How far you travel (miles)" in page
    assert "Average travel speed (mph)" in page
    assert 'name="radius" value="9"' in page  # 15 km
    assert "(km)" not in page and "km/h" not in page

    response = client.post(reverse("therapists:profile_edit"), profile_post(profile))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.radius_km, profile.travel_speed_kmh) == (19, 40)  # 12 mi, 25 mph

    # Saving again without touching them changes nothing (no rounding drift).
    profile.radius_km = 15
    profile.save()
    client.post(reverse("therapists:profile_edit"), profile_post(profile, radius="9"))
    profile.refresh_from_db()
    assert profile.radius_km == 15


def test_a_radius_out_of_range_is_refused_in_miles(client):
    profile = factories.TherapistProfileFactory(postcode="11215")
    client.force_login(profile.user)
    response = client.post(reverse("therapists:profile_edit"), profile_post(profile, radius="500"))
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 124." in response.content.decode()
