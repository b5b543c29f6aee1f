"""The booking admin's actions: each goes through the booking service the site uses, a refusal
is an admin message (never a server error), and the client receives the same e-mail as when
the change is made on the site."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.services import booking_create
from booking.templatetags.booking_tags import slot_value
from core.timefmt import format_date, format_long_date
from tests import factories
from tests.booking.conftest import first_slot

CHANGELIST = "admin:booking_booking_changelist"


@pytest.fixture
def booked(setup) -> Booking:
    return booking_create(
        client=setup.client,
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup),
    )


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _act(http, action: str, bookings, **extra):
    return http.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [b.pk for b in bookings], **extra},
        follow=True,
    )


def test_it_finds_a_booking_by_the_clients_phone_and_postcode(logged_in, staff_user, booked):
    other = factories.BookingFactory(
        client=factories.ClientProfileFactory(phone="+44 20 7946 0000")
    )
    http = logged_in(staff_user)
    by_phone = _page(http.get(reverse(CHANGELIST), {"q": "212 555 0100"}))
    assert f"/admin/booking/booking/{booked.pk}/change/" in by_phone
    assert f"/admin/booking/booking/{other.pk}/change/" not in by_phone
    by_postcode = _page(http.get(reverse(CHANGELIST), {"q": booked.client.postcode}))
    assert f"/admin/booking/booking/{booked.pk}/change/" in by_postcode


def test_it_filters_by_modality(logged_in, staff_user, booked):
    http = logged_in(staff_user)
    modality = booked.service.modality
    page = _page(http.get(reverse(CHANGELIST), {"service__modality__id__exact": modality.pk}))
    assert f"/admin/booking/booking/{booked.pk}/change/" in page
    other = factories.modality("sports")
    page = _page(http.get(reverse(CHANGELIST), {"service__modality__id__exact": other.pk}))
    assert f"/admin/booking/booking/{booked.pk}/change/" not in page


def test_it_confirms_a_request_and_the_client_is_told(
    logged_in, staff_user, setup, django_capture_on_commit_callbacks
):
    setup.therapist.auto_confirm = False
    setup.therapist.save()
    request = booking_create(
        client=setup.client,
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = _page(_act(logged_in(staff_user), "confirm", [request]))
    assert "Confirmed 1 visit." in page
    request.refresh_from_db()
    assert request.status == Booking.Status.CONFIRMED
    assert request.events.last().actor == staff_user
    assert any(setup.client.user.email in m.to and "onfirmed" in m.subject for m in mail.outbox)


def test_a_refusal_is_a_message_not_an_error(logged_in, staff_user, booked):
    # Confirmed already, and in the future: neither confirm nor complete applies.
    http = logged_in(staff_user)
    response = _act(http, "confirm", [booked])
    assert response.status_code == 200
    assert "This visit is now confirmed; nothing was changed." in _page(response)
    response = _act(http, "mark_completed", [booked])
    assert response.status_code == 200
    assert "A visit can be marked completed once it has started." in _page(response)
    booked.refresh_from_db()
    assert booked.status == Booking.Status.CONFIRMED


def test_it_marks_a_started_visit_completed_or_no_show(logged_in, staff_user, setup):
    past = timezone.now() - dt.timedelta(hours=2)
    done = factories.BookingFactory(client=setup.client, service=setup.service, starts_at=past)
    missed = factories.BookingFactory(
        client=setup.client, service=setup.service, starts_at=past - dt.timedelta(days=1)
    )
    http = logged_in(staff_user)
    assert "Marked 1 visit completed." in _page(_act(http, "mark_completed", [done]))
    assert "Marked 1 no-show." in _page(_act(http, "mark_no_show", [missed]))
    done.refresh_from_db()
    missed.refresh_from_db()
    assert done.status == Booking.Status.COMPLETED
    assert missed.status == Booking.Status.NO_SHOW


def test_it_records_a_clearance_only_with_a_note(logged_in, staff_user, booked):
    Booking.objects.filter(pk=booked.pk).update(status=Booking.Status.AWAITING_CLEARANCE)
    http = logged_in(staff_user)
    asked = _page(_act(http, "record_clearance", [booked]))
    assert "who cleared the client" in asked
    booked.refresh_from_db()
    assert booked.status == Booking.Status.AWAITING_CLEARANCE
    page = _page(
        _act(http, "record_clearance", [booked], confirmed="1", note="Letter from Dr Ames, 3 May")
    )
    assert "Clearance recorded; 1 visit confirmed." in page
    booked.refresh_from_db()
    assert booked.status == Booking.Status.CONFIRMED
    assert booked.clearance_note == "Letter from Dr Ames, 3 May"
    assert booked.clearance_recorded_by == staff_user


def test_the_move_page_lists_the_real_free_times_and_moves(
    logged_in, staff_user, booked, setup, django_capture_on_commit_callbacks
):
    http = logged_in(staff_user)
    response = _act(http, "move", [booked])
    assert response.redirect_chain[-1][0] == reverse("admin:booking_booking_move", args=[booked.pk])
    page = _page(response)
    new_time = first_slot(setup, index=6)
    assert new_time.astimezone(dt.UTC).isoformat() in page
    assert f'value="{booked.starts_at.astimezone(dt.UTC).isoformat()}"' not in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moved = http.post(
            reverse("admin:booking_booking_move", args=[booked.pk]),
            {"starts_at": slot_value(new_time), "for_client": "on"},
            follow=True,
        )
    assert "Moved; the client and the therapist are e-mailed." in _page(moved)
    booked.refresh_from_db()
    assert booked.starts_at == new_time
    assert booked.events.last().action == "rescheduled"
    to_client = [m for m in mail.outbox if setup.client.user.email in m.to]
    assert to_client and "moved" in (to_client[0].subject + to_client[0].body).lower()


def test_the_move_page_refuses_a_taken_time_with_a_message(logged_in, staff_user, booked, setup):
    taken = first_slot(setup, index=6)
    booking_create(
        client=factories.BookableClientFactory(),
        therapist=setup.therapist,
        service=setup.service,
        starts_at=taken,
    )
    response = logged_in(staff_user).post(
        reverse("admin:booking_booking_move", args=[booked.pk]),
        {"starts_at": slot_value(taken), "for_client": "on"},
    )
    assert response.status_code == 200
    assert "That time is no longer available." in _page(response)
    original = booked.starts_at
    booked.refresh_from_db()
    assert booked.starts_at == original


def test_the_move_page_of_a_missing_or_closed_booking(logged_in, staff_user, booked):
    http = logged_in(staff_user)
    assert http.get(reverse("admin:booking_booking_move", args=[99999])).status_code == 404
    assert http.get("/admin/booking/booking/nonsense/move/").status_code == 404
    Booking.objects.filter(pk=booked.pk).update(status=Booking.Status.CANCELLED)
    page = _page(http.get(reverse("admin:booking_booking_move", args=[booked.pk]), follow=True))
    assert "This visit can no longer be moved." in page


def test_moving_more_than_one_visit_at_once_is_refused_politely(logged_in, staff_user, setup):
    one = factories.BookingFactory(client=setup.client, service=setup.service)
    two = factories.BookingFactory(
        client=setup.client, service=setup.service, starts_at=one.starts_at + dt.timedelta(days=1)
    )
    page = _page(_act(logged_in(staff_user), "move", [one, two]))
    assert "Choose one visit to move." in page


def test_the_change_page_links_to_the_move_page(logged_in, staff_user, booked):
    page = _page(
        logged_in(staff_user).get(reverse("admin:booking_booking_change", args=[booked.pk]))
    )
    assert reverse("admin:booking_booking_move", args=[booked.pk]) in page


def test_the_move_page_shows_the_free_times_of_the_day_asked_for(logged_in, staff_user, booked):
    therapist = booked.therapist
    day = timezone.localtime(booked.starts_at, therapist.tz).date() + dt.timedelta(days=1)
    page = _page(
        logged_in(staff_user).get(
            reverse("admin:booking_booking_move", args=[booked.pk]), {"day": day.isoformat()}
        )
    )
    assert f'aria-current="page">{format_date(day)}<' in page
    assert f"Free times on {format_long_date(day)}" in page
    # A day that makes no sense falls back to the visit's own day, not an error.
    page = _page(
        logged_in(staff_user).get(
            reverse("admin:booking_booking_move", args=[booked.pk]), {"day": "2026-02-31"}
        )
    )
    current = timezone.localtime(booked.starts_at, therapist.tz).date()
    assert f"Free times on {format_long_date(current)}" in page


@pytest.mark.parametrize("value", ["", "tomorrow at noon", "2026-13-45T99:00:00Z"])
def test_the_move_page_answers_a_nonsense_time_with_a_message(logged_in, staff_user, booked, value):
    response = logged_in(staff_user).post(
        reverse("admin:booking_booking_move", args=[booked.pk]), {"starts_at": value}
    )
    assert response.status_code == 200
    assert "Choose one of the free times." in _page(response)
    original = booked.starts_at
    booked.refresh_from_db()
    assert booked.starts_at == original
