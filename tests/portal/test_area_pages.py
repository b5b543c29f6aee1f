"""Area-aware pages: the profile, the directory and the slot picker show times for the
viewer's place (a client's saved address, or the ZIP a visitor gives); a therapist who does
not reach it says so plainly and offers those who do; a "next free" time is one this viewer
can book."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from booking.selectors import available_slots, therapist_reach, viewer_area
from booking.wording import out_of_area
from core.geo import lookup_postcode
from tests import factories
from therapists.models import TherapistProfile, WeeklyHours

pytestmark = pytest.mark.django_db

CHELSEA = {"postcode": "10011", "latitude": Decimal("40.7402"), "longitude": Decimal("-73.9996")}
WESTWOOD = {"postcode": "90024", "latitude": Decimal("34.0637"), "longitude": Decimal("-118.4408")}


def placed(postcode: str) -> dict:
    point = lookup_postcode(postcode)
    assert point is not None
    return {
        "postcode": postcode,
        "latitude": Decimal(str(point.latitude)),
        "longitude": Decimal(str(point.longitude)),
    }


def open_all_week(therapist: TherapistProfile) -> None:
    WeeklyHours.objects.bulk_create(
        WeeklyHours(therapist=therapist, weekday=d, start_time=dt.time(8), end_time=dt.time(20))
        for d in range(7)
    )


@pytest.fixture
def maya():
    """Maya works from Chelsea and travels 13 km (8 miles)."""
    service = factories.ServiceFactory(
        therapist__display_name="Maya Chen",
        therapist__slug="maya",
        therapist__radius_km=13,
        therapist__min_notice_hours=2,
        **{f"therapist__{k}": v for k, v in CHELSEA.items()},
    )
    open_all_week(service.therapist)
    return service


@pytest.fixture
def leo():
    """Leo works from Westwood, Los Angeles, and reaches Beverly Hills."""
    service = factories.ServiceFactory(
        therapist__display_name="Leo Park",
        therapist__slug="leo",
        therapist__radius_km=20,
        therapist__min_notice_hours=2,
        therapist__time_zone="America/Los_Angeles",
        **{f"therapist__{k}": v for k, v in WESTWOOD.items()},
    )
    open_all_week(service.therapist)
    return service


def signed_in(client_profile) -> Client:
    http = Client()
    http.force_login(client_profile.user)
    return http


def test_the_sentence_says_how_far_they_travel_and_how_far_the_address_is(maya):
    area = viewer_area(client=factories.ClientProfileFactory(**placed("90210")))
    reach = therapist_reach(therapist=maya.therapist, area=area)
    assert not reach.reaches
    assert re.fullmatch(
        r"Maya Chen travels up to 8 miles from New York; your address is 2,4\d\d miles away\.",
        reach.sentence,
    ), reach.sentence
    near = viewer_area(client=factories.ClientProfileFactory(**placed("10001")))
    assert therapist_reach(therapist=maya.therapist, area=near).reaches


def test_it_uses_kilometres_where_the_zip_table_cannot_place_either_side():
    sentence = out_of_area(
        name="Ana", radius_km=15, base="Lisboa", away_km=3.2, saved=False, miles=False
    )
    assert sentence == "Ana travels up to 15 km from Lisboa; that ZIP code is 3.2 km away."


def test_a_client_out_of_area_is_told_on_the_profile_and_offered_who_covers_them(maya, leo):
    dana = factories.BookableClientFactory(**placed("90210"))
    response = signed_in(dana).get(reverse("therapists:profile", kwargs={"slug": "maya"}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Maya Chen travels up to 8 miles from New York; your address is" in body
    assert 'data-testid="next-slots"' not in body  # no time they could not book
    assert f'href="{leo.therapist.get_absolute_url()}">Leo Park</a>' in body
    assert "Change your address" in body
    assert "See all times" not in body


def test_a_client_in_area_sees_times_they_can_book_on_the_profile(maya):
    dana = factories.BookableClientFactory(**placed("10001"))
    response = signed_in(dana).get(reverse("therapists:profile", kwargs={"slug": "maya"}))
    ((_service, slots),) = response.context["offers"]
    assert slots
    bookable = available_slots(
        therapist=maya.therapist,
        service=maya,
        start_date=slots[0][0].astimezone(maya.therapist.tz).date(),
        days=1,
        client=dana,
    )
    assert slots[0][0] in bookable
    assert 'data-testid="out-of-area"' not in response.content.decode()


def test_the_next_free_time_on_the_profile_leaves_out_the_clients_own_visit(maya):
    """Their own visit elsewhere at that hour makes the first time unbookable for them."""
    dana = factories.BookableClientFactory(**placed("10001"))
    url = reverse("therapists:profile", kwargs={"slug": "maya"})
    first = Client().get(url, {"postcode": "10001"}).context["offers"][0][1][0][0]
    factories.BookingFactory(client=dana, starts_at=first - dt.timedelta(minutes=30))
    mine = signed_in(dana).get(url).context["offers"][0][1][0][0]
    assert mine != first


def test_a_visitor_is_asked_for_a_zip_before_seeing_times(maya):
    url = reverse("therapists:profile", kwargs={"slug": "maya"})
    asked = Client().get(url).content.decode()
    assert 'data-testid="zip-form"' in asked
    assert "Where should the therapist come?" in asked
    assert 'data-testid="next-slots"' not in asked
    given = Client().get(url, {"postcode": "10001"}).content.decode()
    assert 'data-testid="next-slots"' in given
    assert 'data-testid="zip-form"' not in given


def test_a_zip_we_cannot_place_is_said_and_shows_no_times(maya):
    url = reverse("therapists:profile", kwargs={"slug": "maya"})
    body = Client().get(url, {"postcode": "00000"}).content.decode()
    assert "We don’t know the ZIP code “00000”" in body
    assert 'data-testid="next-slots"' not in body


def test_a_visitor_with_a_far_zip_is_told_and_offered_profiles_that_keep_the_zip(maya, leo):
    url = reverse("therapists:profile", kwargs={"slug": "maya"})
    body = Client().get(url, {"postcode": "90210"}).content.decode()
    assert "Maya Chen travels up to 8 miles from New York; that ZIP code is" in body
    assert f'href="{leo.therapist.get_absolute_url()}?postcode=90210">Leo Park</a>' in body
    assert 'data-testid="next-slots"' not in body


def test_the_directory_starts_from_the_clients_saved_zip(maya, leo):
    dana = factories.BookableClientFactory(**placed("90210"))
    response = signed_in(dana).get(reverse("therapists:directory"))
    body = response.content.decode()
    assert 'name="postcode" id="id_postcode"' in body and 'value="90210"' in body
    names = [e.therapist.display_name for e in response.context["page"].object_list]
    assert names == ["Leo Park"]
    assert response.context["page"].object_list[0].next_slot is not None


def test_the_directory_says_when_nobody_reaches_the_saved_address(maya):
    dana = factories.BookableClientFactory(**placed("59001"))
    body = signed_in(dana).get(reverse("therapists:directory")).content.decode()
    assert "No therapist travels to 59001 yet." in body
    assert "That is the address you saved." in body
    assert reverse("clients:profile_edit") in body


def test_a_client_browsing_another_zip_sees_why_a_therapist_cannot_come(maya):
    dana = factories.BookableClientFactory(**placed("90210"))
    response = signed_in(dana).get(reverse("therapists:directory"), {"postcode": "10011"})
    [entry] = response.context["page"].object_list
    assert entry.next_slot is None  # not a time that would then be "not free any more"
    assert entry.out_of_area.startswith("Maya Chen travels up to 8 miles from New York")
    assert entry.out_of_area in response.content.decode()


def test_the_directory_asks_a_visitor_for_a_zip_before_times(maya):
    body = Client().get(reverse("therapists:directory")).content.decode()
    assert "Give your ZIP code above to see free times" in body
    assert "<time" not in body
    with_zip = Client().get(reverse("therapists:directory"), {"postcode": "10011"})
    assert with_zip.context["page"].object_list[0].next_slot is not None
    assert 'href="/therapists/maya/?postcode=10011"' in with_zip.content.decode()


def test_the_picker_tells_a_client_out_of_area_and_offers_who_covers_them(maya, leo):
    dana = factories.BookableClientFactory(**placed("90210"))
    response = signed_in(dana).get(
        reverse("booking:start"), {"therapist": maya.therapist.pk, "service": maya.pk}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Maya Chen travels up to 8 miles from New York; your address is" in body
    assert 'data-testid="slot-picker"' not in body
    assert f'href="{leo.therapist.get_absolute_url()}">Leo Park</a>' in body


def test_the_picker_shows_times_to_a_client_in_area(maya):
    dana = factories.BookableClientFactory(**placed("10001"))
    response = signed_in(dana).get(
        reverse("booking:start"), {"therapist": maya.therapist.pk, "service": maya.pk}
    )
    assert response.context["picker"].slots


def test_the_zip_is_part_of_the_kept_profiles_key(maya, leo):
    url = reverse("therapists:profile", kwargs={"slug": "maya"})
    near = Client().get(url, {"postcode": "10001"}).content
    far = Client().get(url, {"postcode": "90210"}).content  # kept separately
    assert near != far
    assert b"travels up to 8 miles" in far and b"travels up to 8 miles" not in near
    assert Client().get(url, {"postcode": "10001"}).content == near


def test_the_picker_uses_a_visitors_zip(maya, leo):
    query = {"therapist": maya.therapist.pk, "service": maya.pk}
    far = Client().get(reverse("booking:start"), {**query, "postcode": "90210"})
    body = far.content.decode()
    assert "Maya Chen travels up to 8 miles from New York; that ZIP code is" in body
    assert f'href="{leo.therapist.get_absolute_url()}?postcode=90210">Leo Park</a>' in body
    assert 'data-testid="zip-form"' in body  # try another ZIP, kept on this step
    assert f'name="therapist" value="{maya.therapist.pk}"' in body
    near = Client().get(reverse("booking:start"), {**query, "postcode": "10001"})
    assert near.context["picker"].slots


def test_the_picker_asks_a_visitor_for_a_zip_before_times_and_keeps_it_in_its_links(maya):
    query = {"therapist": maya.therapist.pk, "service": maya.pk}
    asked = Client().get(reverse("booking:start"), query)
    body = asked.content.decode()
    assert asked.status_code == 200
    assert asked.context["picker"] is None
    assert 'data-testid="slot-picker"' not in body
    assert "Where should the therapist come?" in body
    assert f'name="service" value="{maya.pk}"' in body  # the form keeps the step
    given = Client().get(reverse("booking:start"), {**query, "postcode": "10001"})
    picker = given.context["picker"]
    assert picker.slots
    assert "postcode=10001" in given.content.decode().split('data-testid="slot-picker"')[1]
