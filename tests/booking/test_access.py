"""Who may see and change a booking: its client (logged in, or through a signed e-mail link),
its therapist and staff. Everyone else gets the answer a missing booking gets, and nothing
changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from booking import links
from booking.models import Booking
from booking.services import booking_create
from booking.templatetags.booking_tags import slot_value
from tests import factories
from tests.booking.conftest import first_slot


@pytest.fixture
def booking(setup) -> Booking:
    return booking_create(
        client=setup.client,
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup),
    )


@pytest.fixture
def stranger(db):
    other = factories.BookableClientFactory()
    factories.IntakeFactory(client=other)
    return other


def unchanged(booking: Booking) -> bool:
    fresh = Booking.objects.get(pk=booking.pk)
    return (
        fresh.status == booking.status
        and fresh.starts_at == booking.starts_at
        and fresh.sequence == booking.sequence
        and fresh.events.count() == 1
    )


# --- Another client ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["booking:detail", "booking:cancel", "booking:reschedule"])
def test_a_client_cannot_open_another_clients_booking(logged_in, booking, stranger, name):
    response = logged_in(stranger.user).get(reverse(name, kwargs={"pk": booking.pk}))
    assert response.status_code == 404
    assert booking.address not in response.content.decode()


def test_a_client_cannot_cancel_another_clients_booking(logged_in, booking, stranger):
    response = logged_in(stranger.user).post(
        reverse("booking:cancel", kwargs={"pk": booking.pk}), {"reason": "mine now"}
    )
    assert response.status_code == 404
    assert unchanged(booking)


def test_a_client_cannot_reschedule_another_clients_booking(logged_in, booking, setup, stranger):
    response = logged_in(stranger.user).post(
        reverse("booking:reschedule", kwargs={"pk": booking.pk}),
        {"starts_at": slot_value(first_slot(setup, index=8))},
    )
    assert response.status_code == 404
    assert unchanged(booking)


def test_guessing_ids_finds_nothing(logged_in, booking, stranger):
    http = logged_in(stranger.user)
    for pk in (booking.pk - 1, booking.pk, booking.pk + 1, 999999):
        assert http.get(reverse("booking:detail", kwargs={"pk": pk})).status_code == 404


def test_a_therapist_cannot_use_the_client_pages(logged_in, booking, setup):
    response = logged_in(setup.therapist.user).get(
        reverse("booking:detail", kwargs={"pk": booking.pk})
    )
    assert response.status_code == 404


def test_the_client_sees_and_cancels_their_own_booking(logged_in, booking, setup):
    http = logged_in(setup.client.user)
    assert http.get(reverse("booking:detail", kwargs={"pk": booking.pk})).status_code == 200
    response = http.post(
        reverse("booking:cancel", kwargs={"pk": booking.pk}), {"reason": "Feeling better"}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.status_reason == "Feeling better"
    assert booking.events.last().actor == setup.client.user


def test_the_client_moves_their_own_booking_atomically(logged_in, booking, setup):
    new_time = first_slot(setup, index=8)
    http = logged_in(setup.client.user)
    confirm_page = http.get(
        reverse("booking:reschedule", kwargs={"pk": booking.pk}),
        {"starts_at": slot_value(new_time)},
    )
    assert "Move to this time?" in confirm_page.content.decode()
    response = http.post(
        reverse("booking:reschedule", kwargs={"pk": booking.pk}),
        {"starts_at": slot_value(new_time)},
    )
    assert response.status_code == 302
    moved = Booking.objects.get(pk=booking.pk)
    assert moved.starts_at == new_time
    # the visit keeps its length (a move past the old end once broke this)
    assert moved.ends_at - moved.starts_at == dt.timedelta(minutes=60)
    assert moved.sequence == booking.sequence + 1
    assert Booking.objects.count() == 1


def test_moving_onto_a_taken_time_keeps_the_visit_and_says_so(logged_in, booking, setup):
    taken = first_slot(setup, index=12)
    booking_create(
        client=factories.BookableClientFactory(),
        therapist=setup.therapist,
        service=setup.service,
        starts_at=taken,
    )
    response = logged_in(setup.client.user).post(
        reverse("booking:reschedule", kwargs={"pk": booking.pk}),
        {"starts_at": slot_value(taken)},
    )
    assert response.status_code == 200
    assert "just taken" in response.content.decode()
    assert unchanged(booking)


@pytest.mark.parametrize("value", ["", "garbage", "2026-01-01T10:00:00"])
def test_moving_to_a_tampered_time_is_a_message(logged_in, booking, setup, value):
    response = logged_in(setup.client.user).post(
        reverse("booking:reschedule", kwargs={"pk": booking.pk}), {"starts_at": value}
    )
    assert response.status_code == 200
    assert 'data-testid="reschedule-error"' in response.content.decode()
    assert unchanged(booking)


def test_after_the_cutoff_the_client_sees_the_policy_and_the_therapists_contact(
    logged_in, booking, setup
):
    soon = timezone.now() + dt.timedelta(hours=3)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=soon, ends_at=soon + dt.timedelta(hours=1)
    )
    booking.refresh_from_db()
    http = logged_in(setup.client.user)
    page = http.get(reverse("booking:cancel", kwargs={"pk": booking.pk})).content.decode()
    assert "up to 24 hours before" in page
    assert setup.therapist.user.email in page
    response = http.post(reverse("booking:cancel", kwargs={"pk": booking.pk}), {"reason": "x"})
    assert response.status_code == 200
    assert 'data-testid="cancel-refused"' in response.content.decode()
    assert setup.therapist.user.email in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    moved = http.post(
        reverse("booking:reschedule", kwargs={"pk": booking.pk}),
        {"starts_at": slot_value(first_slot(setup, index=8))},
    )
    assert 'data-testid="reschedule-refused"' in moved.content.decode()
    assert Booking.objects.get(pk=booking.pk).starts_at == soon


# --- Signed links ----------------------------------------------------------------------------


def test_a_signed_link_cancels_without_logging_in(client, booking):
    url = links.manage_url(booking_id=booking.pk, action="cancel")
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "Away"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.events.last().actor == booking.client.user


def test_a_signed_link_moves_the_visit_without_logging_in(client, booking, setup):
    url = links.manage_url(booking_id=booking.pk, action="reschedule")
    new_time = first_slot(setup, index=8)
    picker = client.get(url).content.decode()
    assert 'id="slot-picker"' in picker
    response = client.post(url, {"starts_at": slot_value(new_time)})
    assert response.status_code == 302
    assert Booking.objects.get(pk=booking.pk).starts_at == new_time


def test_a_link_for_one_booking_is_refused_for_another(client, booking, setup):
    other = booking_create(
        client=factories.BookableClientFactory(),
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup, index=12),
    )
    token = links.manage_token(booking_id=booking.pk, action="cancel")
    url = reverse("booking:link_cancel", kwargs={"pk": other.pk, "token": token})
    get = client.get(url)
    post = client.post(url, {"reason": "hijack"})
    assert get.status_code == post.status_code == 403
    assert "This link is not for this visit." in post.content.decode()
    assert Booking.objects.get(pk=other.pk).status == Booking.Status.CONFIRMED
    assert other.address not in get.content.decode()


def test_a_cancel_link_does_not_move_the_visit(client, booking, setup):
    token = links.manage_token(booking_id=booking.pk, action="cancel")
    url = reverse("booking:link_reschedule", kwargs={"pk": booking.pk, "token": token})
    response = client.post(url, {"starts_at": slot_value(first_slot(setup, index=8))})
    assert response.status_code == 403
    assert unchanged(booking)


def test_a_tampered_link_is_refused(client, booking):
    token = links.manage_token(booking_id=booking.pk, action="cancel")
    for bad in (token[:-2] + "xx", token.replace(f"{booking.pk}:", f"{booking.pk + 1}:"), "x"):
        url = reverse("booking:link_cancel", kwargs={"pk": booking.pk, "token": bad})
        response = client.post(url, {"reason": ""})
        assert response.status_code == 400
        assert "This link is not valid." in response.content.decode()
    assert unchanged(booking)


def test_a_link_from_another_feature_is_refused(client, booking):
    # Same value, signed for another purpose (another salt): not a booking link.
    token = signing.TimestampSigner(salt="aftercare.feedback").sign(f"{booking.pk}:cancel")
    url = reverse("booking:link_cancel", kwargs={"pk": booking.pk, "token": token})
    assert client.post(url).status_code == 400
    assert unchanged(booking)


def test_an_expired_link_is_refused(client, booking, monkeypatch):
    real_time = signing.time.time
    monkeypatch.setattr(
        signing.time, "time", lambda: real_time() - links.link_max_age().total_seconds() - 60
    )
    token = links.manage_token(booking_id=booking.pk, action="cancel")
    monkeypatch.setattr(signing.time, "time", real_time)
    url = reverse("booking:link_cancel", kwargs={"pk": booking.pk, "token": token})
    response = client.post(url, {"reason": ""})
    assert response.status_code == 403
    assert "This link has expired." in response.content.decode()
    assert unchanged(booking)


def test_a_link_stays_valid_until_just_before_it_expires(client, booking, monkeypatch):
    real_time = signing.time.time
    monkeypatch.setattr(
        signing.time, "time", lambda: real_time() - links.link_max_age().total_seconds() + 60
    )
    token = links.manage_token(booking_id=booking.pk, action="cancel")
    monkeypatch.setattr(signing.time, "time", real_time)
    url = reverse("booking:link_cancel", kwargs={"pk": booking.pk, "token": token})
    assert client.get(url).status_code == 200


def test_a_used_cancel_link_says_the_visit_is_no_longer_booked(client, booking):
    url = links.manage_url(booking_id=booking.pk, action="cancel")
    client.post(url, {"reason": ""})
    again = client.post(url, {"reason": ""})
    assert again.status_code == 200
    assert "no longer booked" in again.content.decode()
    assert Booking.objects.get(pk=booking.pk).events.filter(action="cancelled").count() == 1


# --- Therapist actions ------------------------------------------------------------------------


def action(http, booking, name, **extra):
    return http.post(
        reverse("booking:visit_action", kwargs={"pk": booking.pk}), {"action": name, **extra}
    )


def test_a_therapist_cannot_act_on_another_therapists_booking(logged_in, booking):
    other = factories.TherapistProfileFactory()
    for name in ("confirm", "decline", "cancel", "complete", "no_show"):
        assert action(logged_in(other.user), booking, name).status_code == 404
    assert unchanged(booking)


def test_a_client_cannot_use_the_therapist_actions(logged_in, booking, setup):
    assert action(logged_in(setup.client.user), booking, "cancel").status_code == 404
    assert unchanged(booking)


def test_the_visit_action_needs_a_post(logged_in, booking, setup):
    url = reverse("booking:visit_action", kwargs={"pk": booking.pk})
    assert logged_in(setup.therapist.user).get(url).status_code == 405


def test_the_therapist_confirms_and_declines_pending_bookings(logged_in, setup):
    setup.therapist.auto_confirm = False
    setup.therapist.save()
    first = booking_create(
        client=setup.client,
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup),
    )
    second = booking_create(
        client=factories.BookableClientFactory(),
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup, index=12),
    )
    http = logged_in(setup.therapist.user)
    response = action(http, first, "confirm")
    assert response.status_code == 302
    assert response.url == reverse("therapists:visit", kwargs={"pk": first.pk})
    action(http, second, "decline", reason="Fully booked that day")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Booking.Status.CONFIRMED
    assert second.status == Booking.Status.DECLINED
    assert second.status_reason == "Fully booked that day"
    assert second.events.last().actor == setup.therapist.user


def test_the_therapist_cancels_with_a_reason_at_any_time(logged_in, booking, setup):
    soon = timezone.now() + dt.timedelta(hours=2)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=soon, ends_at=soon + dt.timedelta(hours=1)
    )
    response = action(logged_in(setup.therapist.user), booking, "cancel", reason="Ill")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.status_reason == "Ill"


def test_completing_a_visit_leads_to_the_session_note(logged_in, booking, setup):
    past = timezone.now() - dt.timedelta(hours=2)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=past, ends_at=past + dt.timedelta(hours=1)
    )
    response = action(logged_in(setup.therapist.user), booking, "complete")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    try:
        expected = reverse("aftercare:session_note", kwargs={"pk": booking.pk})
    except Exception:
        expected = reverse("therapists:visit", kwargs={"pk": booking.pk})
    assert response.url == expected


def test_a_refused_action_comes_back_with_a_message(logged_in, booking, setup):
    # A future visit cannot be marked completed or a no-show.
    http = logged_in(setup.therapist.user)
    response = action(http, booking, "no_show")
    assert response.status_code == 302
    followed = http.get(response.url)
    assert "once it has started" in followed.content.decode()
    assert unchanged(booking)


def test_an_unknown_action_is_a_message(logged_in, booking, setup):
    http = logged_in(setup.therapist.user)
    response = action(http, booking, "delete")
    assert response.status_code == 302
    assert unchanged(booking)


def test_staff_can_act_on_any_booking(logged_in, booking, staff_user):
    response = action(logged_in(staff_user), booking, "cancel", reason="Duplicate")
    assert response.status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
