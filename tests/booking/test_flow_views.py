"""The booking flow in the browser's terms: what → who → when → review → confirm, bad input
included (every case answers with a message, never a 500)."""

from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.services import booking_create
from booking.templatetags.booking_tags import slot_value
from clients.models import Intake
from tests import factories
from tests.booking.conftest import first_slot

START = reverse("booking:start")
REVIEW = reverse("booking:review")


def review_url(setup, starts_at) -> str:
    query = urlencode(
        {
            "therapist": setup.therapist.pk,
            "service": setup.service.pk,
            "starts_at": slot_value(starts_at),
        }
    )
    return f"{REVIEW}?{query}"


def confirm_data(setup, starts_at, **extra) -> dict:
    return {
        "therapist": setup.therapist.pk,
        "service": setup.service.pk,
        "starts_at": slot_value(starts_at),
        **extra,
    }


# --- What, who, when ------------------------------------------------------------------------


def test_it_asks_what_kind_of_session_first(client, setup):
    response = client.get(START)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Myofascial trigger point therapy" in body
    assert 'name="duration"' in body
    assert 'aria-current="step"' in body


def test_it_lists_the_first_available_times_and_the_therapists(logged_in, setup):
    response = logged_in(setup.client.user).get(START, {"modality": "myofascial", "duration": 60})
    assert response.status_code == 200
    body = response.content.decode()
    assert "First available" in body
    expected = review_url(setup, first_slot(setup)).replace("&", "&amp;")
    assert expected in body
    assert setup.therapist.display_name in body


def test_first_available_leaves_out_therapists_who_do_not_reach_the_client(logged_in, setup):
    far = factories.ServiceFactory(
        therapist__latitude="34.052235", therapist__longitude="-118.243683"
    )  # Los Angeles
    response = logged_in(setup.client.user).get(START, {"modality": "myofascial", "duration": 60})
    assert far.therapist.display_name not in response.content.decode()


def test_it_asks_again_when_the_modality_is_unknown(client, setup):
    response = client.get(START, {"modality": "reiki", "duration": 60})
    assert response.status_code == 200
    assert "Choose the kind of session you want." in response.content.decode()


def test_it_shows_days_and_free_times_for_a_therapist_and_service(logged_in, setup):
    response = logged_in(setup.client.user).get(
        START, {"therapist": setup.therapist.pk, "service": setup.service.pk}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body
    assert 'id="slot-picker"' in body
    assert urlencode({"starts_at": slot_value(first_slot(setup))}) in body
    # the client's zone, named once in words
    assert body.count("Times in Eastern Time") == 1
    assert "EST" not in body and "EDT" not in body


def test_picking_a_day_with_htmx_swaps_only_the_slot_picker(logged_in, setup):
    day = timezone.localtime(first_slot(setup), setup.therapist.tz).date()
    later = day + dt.timedelta(days=1)
    response = logged_in(setup.client.user).get(
        START,
        {"therapist": setup.therapist.pk, "service": setup.service.pk, "day": later.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="slot-picker"')
    assert f"Free times on {later:%A}, {later:%B} {later.day}" in body


def test_the_slot_step_works_without_javascript_through_plain_links(logged_in, setup):
    day = timezone.localtime(first_slot(setup), setup.therapist.tz).date() + dt.timedelta(days=2)
    response = logged_in(setup.client.user).get(
        START,
        {"therapist": setup.therapist.pk, "service": setup.service.pk, "day": day.isoformat()},
    )
    body = response.content.decode()
    assert "<html" in body
    assert f"Free times on {day:%A}, {day:%B} {day.day}" in body


@pytest.mark.parametrize(
    "params",
    [
        {"therapist": "1", "service": "999999"},
        {"service": "abc"},
        {"therapist": "999999", "service": "1"},
    ],
)
def test_it_refuses_an_unknown_service_with_a_message(client, setup, params):
    response = client.get(START, params)
    assert response.status_code == 200
    assert "not available for booking" in response.content.decode()


def test_it_refuses_a_service_of_another_therapist(client, setup):
    other = factories.ServiceFactory()
    response = client.get(START, {"therapist": setup.therapist.pk, "service": other.pk})
    assert "not available for booking" in response.content.decode()


def test_it_refuses_an_unapproved_therapist(client, setup):
    setup.therapist.approval = setup.therapist.Approval.PENDING
    setup.therapist.save()
    response = client.get(START, {"therapist": setup.therapist.pk, "service": setup.service.pk})
    assert "not available for booking" in response.content.decode()


@pytest.mark.parametrize("day", ["2026-13-45", "yesterday", "1900-01-01", "9999-12-31"])
def test_a_nonsense_day_is_ignored_not_an_error(logged_in, setup, day):
    response = logged_in(setup.client.user).get(
        START,
        {"therapist": setup.therapist.pk, "service": setup.service.pk, "day": day, "start": day},
    )
    assert response.status_code == 200
    assert 'id="slot-picker"' in response.content.decode()


def test_a_link_with_a_time_goes_straight_to_review(logged_in, setup):
    slot = first_slot(setup)
    response = logged_in(setup.client.user).get(
        START,
        {
            "therapist": setup.therapist.pk,
            "service": setup.service.pk,
            "starts_at": slot.isoformat(),
        },
    )
    assert response.status_code == 302
    target = urlparse(response.url)
    assert target.path == REVIEW
    assert parse_qs(target.query)["starts_at"] == [slot.isoformat()]


# --- Review --------------------------------------------------------------------------------


def test_review_needs_a_login(client, setup):
    response = client.get(review_url(setup, first_slot(setup)))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_review_shows_address_intake_price_and_policy(logged_in, setup):
    slot = first_slot(setup)
    response = logged_in(setup.client.user).get(review_url(setup, slot))
    assert response.status_code == 200
    body = response.content.decode()
    assert setup.client.address_one_line in body
    assert "Buzzer 4B" in body  # access notes
    assert "$95.00" in body
    assert f"up to {settings.BOOKING_CANCEL_CUTOFF_HOURS} hours before" in body
    assert f"Intake, version {setup.intake.version}" in body
    assert "intake-stale" not in body
    assert "clearance-warning" not in body


def test_review_sends_a_client_with_an_intake_older_than_six_months_to_review_it(logged_in, setup):
    Intake.objects.filter(pk=setup.intake.pk).update(
        created_at=timezone.now() - dt.timedelta(days=200)
    )
    response = logged_in(setup.client.user).get(review_url(setup, first_slot(setup)), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("clients:intake_edit"))
    assert "more than six months old" in response.content.decode()


def test_a_client_without_an_address_is_sent_to_add_one_and_brought_back(logged_in, setup):
    user = factories.UserFactory()
    response = logged_in(user).get(review_url(setup, first_slot(setup)))
    assert response.status_code == 302
    target = urlparse(response.url)
    assert target.path == reverse("clients:profile_edit")
    back = parse_qs(target.query)["next"][0]
    assert back.startswith(REVIEW) and "starts_at=" in back


def test_a_client_without_an_intake_is_sent_to_fill_it_in_and_brought_back(logged_in, setup):
    client = factories.ClientProfileFactory()
    response = logged_in(client.user).get(review_url(setup, first_slot(setup, client=client)))
    assert response.status_code == 302
    target = urlparse(response.url)
    assert target.path == reverse("clients:intake_edit")
    assert parse_qs(target.query)["next"][0].startswith(REVIEW)


def test_the_profile_page_brings_the_client_back_to_the_chosen_slot(logged_in, setup):
    """Coordinated with the clients app: its profile form honours ``next``."""
    user = factories.UserFactory()
    back = review_url(setup, first_slot(setup))
    response = logged_in(user).post(
        f"{reverse('clients:profile_edit')}?next={back.replace('&', '%26')}",
        {
            "first_name": "Ana",
            "last_name": "Test",
            "phone": "+1 212 555 0100",
            "street": "1 West 31st Street",
            "city": "New York",
            "state": "NY",
            "postcode": "10001",
            "access_notes": "",
            "time_zone": "America/New_York",
            "email_reminders": "on",
            "next": back,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == back


def test_only_clients_book(logged_in, setup):
    response = logged_in(setup.therapist.user).get(review_url(setup, first_slot(setup)))
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert not Booking.objects.exists()


def test_a_tampered_time_on_review_sends_back_to_the_days_with_a_message(logged_in, setup):
    http = logged_in(setup.client.user)
    response = http.get(
        f"{REVIEW}?therapist={setup.therapist.pk}&service={setup.service.pk}&starts_at=tomorrow",
        follow=True,
    )
    assert response.status_code == 200
    assert "That time is not valid" in response.content.decode()
    assert 'id="slot-picker"' in response.content.decode()


def test_a_time_in_the_past_is_refused_with_the_next_free_times(logged_in, setup):
    past = (timezone.now() - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    response = logged_in(setup.client.user).get(review_url(setup, past))
    assert response.status_code == 200
    body = response.content.decode()
    assert "That time has passed" in body
    assert f'value="{slot_value(first_slot(setup))}"' in body  # offered as an alternative


def test_a_time_off_the_grid_is_refused_with_alternatives(logged_in, setup):
    odd = first_slot(setup) + dt.timedelta(minutes=7)
    response = logged_in(setup.client.user).get(review_url(setup, odd))
    assert response.status_code == 200
    assert "That time is not free any more" in response.content.decode()


# --- Confirm --------------------------------------------------------------------------------


def test_confirming_books_the_slot_and_shows_the_visit(logged_in, setup):
    slot = first_slot(setup)
    response = logged_in(setup.client.user).post(REVIEW, confirm_data(setup, slot), follow=True)
    booking = Booking.objects.get()
    assert booking.client == setup.client
    assert booking.starts_at == slot
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.intake == setup.intake
    assert response.redirect_chain[-1][0] == reverse("booking:detail", kwargs={"pk": booking.pk})
    assert "Booked." in response.content.decode()


def test_a_therapist_who_approves_each_booking_gets_a_request(logged_in, setup):
    setup.therapist.auto_confirm = False
    setup.therapist.save()
    response = logged_in(setup.client.user).post(
        REVIEW, confirm_data(setup, first_slot(setup)), follow=True
    )
    assert Booking.objects.get().status == Booking.Status.PENDING
    assert "Request sent" in response.content.decode()


def test_a_taken_slot_shows_the_next_free_times_and_keeps_the_choices(logged_in, setup):
    setup.intake.screening = [Intake.Screening.BLOOD_THINNERS]
    setup.intake.save()
    slot = first_slot(setup)
    # Someone else books it between the review page and the click.
    booking_create(
        client=factories.BookableClientFactory(),
        therapist=setup.therapist,
        service=setup.service,
        starts_at=slot,
    )
    response = logged_in(setup.client.user).post(
        REVIEW, confirm_data(setup, slot, acknowledge="on")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "that time was just taken" in body
    assert 'data-testid="alternatives"' in body
    assert 'name="acknowledge" id="id_acknowledge" value="on" checked' in body
    assert f'name="service" value="{setup.service.pk}"' in body
    assert Booking.objects.filter(client=setup.client).count() == 0
    # the first alternative is a real free time and can be booked from the same form
    alternative = body.split('name="starts_at" id="alt-1" value="')[1].split('"')[0]
    response = logged_in(setup.client.user).post(
        REVIEW,
        {
            "therapist": setup.therapist.pk,
            "service": setup.service.pk,
            "starts_at": alternative,
            "acknowledge": "on",
        },
    )
    assert response.status_code == 302
    assert Booking.objects.get(client=setup.client).clearance_acknowledged is True


def test_a_double_click_lands_on_the_booking_made_by_the_first(logged_in, setup):
    http = logged_in(setup.client.user)
    slot = first_slot(setup)
    first = http.post(REVIEW, confirm_data(setup, slot))
    second = http.post(REVIEW, confirm_data(setup, slot))
    booking = Booking.objects.get()
    assert first.url == second.url == reverse("booking:detail", kwargs={"pk": booking.pk})


def test_clearance_flags_must_be_acknowledged(logged_in, setup):
    setup.intake.screening = [Intake.Screening.PREGNANCY]
    setup.intake.save()
    http = logged_in(setup.client.user)
    slot = first_slot(setup)
    page = http.get(review_url(setup, slot)).content.decode()
    assert 'data-testid="clearance-warning"' in page
    assert "Pregnancy: please get your doctor&#x27;s clearance before the visit" in page

    refused = http.post(REVIEW, confirm_data(setup, slot))
    assert refused.status_code == 200
    assert "needs a doctor&#x27;s clearance" in refused.content.decode()
    assert not Booking.objects.exists()

    http.post(REVIEW, confirm_data(setup, slot, acknowledge="on"))
    assert Booking.objects.get().clearance_acknowledged is True


@pytest.mark.parametrize("value", ["", "not-a-time", "2026-12-07T10:00:00", "%00"])
def test_a_tampered_time_on_confirm_is_a_message_not_an_error(logged_in, setup, value):
    data = confirm_data(setup, first_slot(setup))
    data["starts_at"] = value
    response = logged_in(setup.client.user).post(REVIEW, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose one of the free times" in body or "That time is not valid" in body
    assert 'data-testid="alternatives"' in body
    assert not Booking.objects.exists()


def test_a_tampered_service_on_confirm_is_a_message_not_an_error(logged_in, setup):
    data = confirm_data(setup, first_slot(setup))
    data["service"] = factories.ServiceFactory().pk
    response = logged_in(setup.client.user).post(REVIEW, data, follow=True)
    assert response.status_code == 200
    assert "not available for booking" in response.content.decode()
    assert not Booking.objects.exists()


def test_first_available_spreads_the_offers_out(logged_in, setup):
    import re

    response = logged_in(setup.client.user).get(START, {"modality": "myofascial", "duration": 60})
    section = (
        response.content.decode().split('data-testid="first-available"')[1].split("</section>")[0]
    )
    times = [dt.datetime.fromisoformat(t) for t in re.findall(r'<time datetime="([^"]+)"', section)]
    assert len(times) == 6
    assert all(b - a >= dt.timedelta(minutes=60) for a, b in itertools.pairwise(times))


def test_the_slot_step_costs_the_same_queries_however_busy_the_therapist_is(logged_in, setup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = logged_in(setup.client.user)
    params = {"therapist": setup.therapist.pk, "service": setup.service.pk}

    def count() -> int:
        http.get(START, params)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert http.get(START, params).status_code == 200
        return len(queries)

    quiet = count()
    for index in range(0, 60, 6):
        booking_create(
            client=factories.BookableClientFactory(),
            therapist=setup.therapist,
            service=setup.service,
            starts_at=first_slot(setup, client=factories.BookableClientFactory(), index=index),
        )
    assert count() == quiet


def test_a_therapist_without_a_service_leads_to_their_profile(client, setup):
    response = client.get(START, {"therapist": setup.therapist.pk})
    assert response.status_code == 302
    assert response.url == setup.therapist.get_absolute_url()
