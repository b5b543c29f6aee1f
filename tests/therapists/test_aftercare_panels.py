"""The therapist's pages show what aftercare knows: notes and reminders on the visit page,
ratings on the public profile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from tests import factories


@pytest.mark.django_db
def test_the_visit_page_shows_the_notes_panel_and_history(client):
    booking = factories.BookingFactory(
        starts_at=timezone.now() - dt.timedelta(hours=3), status=Booking.Status.COMPLETED
    )
    booking.events.create(action="completed", from_status="confirmed", to_status="completed")
    client.force_login(booking.therapist.user)
    html = client.get(reverse("therapists:visit", args=[booking.pk])).content.decode()
    assert "Session notes and aftercare" in html
    assert reverse("aftercare:session_note", args=[booking.pk]) in html
    assert ">History</h2>" in html


@pytest.mark.django_db
def test_the_public_profile_shows_ratings(client):
    therapist = factories.TherapistProfileFactory()
    html = client.get(therapist.get_absolute_url()).content.decode()
    assert "What clients say" in html
    assert "No ratings yet." in html


@pytest.mark.django_db
def test_a_pending_visit_can_be_declined_with_a_reason_from_the_visit_page(client):
    booking = factories.BookingFactory(status=Booking.Status.PENDING)
    client.force_login(booking.therapist.user)
    html = client.get(reverse("therapists:visit", args=[booking.pk])).content.decode()
    assert 'id="reason-decline"' in html
    client.post(
        reverse("booking:visit_action", args=[booking.pk]),
        {"action": "decline", "reason": "Away that week"},
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED
    assert booking.status_reason == "Away that week"
