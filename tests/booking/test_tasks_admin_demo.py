"""The expiry task, the admin, the dashboard panel and the demo data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.services import booking_create
from booking.tasks import expire_pending_bookings
from tests import factories
from tests.booking.conftest import first_slot


def pending(setup, index=0, client=None) -> Booking:
    setup.therapist.auto_confirm = False
    setup.therapist.save()
    return booking_create(
        client=client or factories.BookableClientFactory(),
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup, index=index),
    )


# --- Expiry ---------------------------------------------------------------------------------


def test_it_expires_pending_bookings_past_their_hold_and_only_those(setup):
    stale = pending(setup, index=0)
    fresh = pending(setup, index=12)
    Booking.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert expire_pending_bookings() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Booking.Status.DECLINED
    assert stale.events.last().action == "expired"
    assert stale.events.last().actor is None
    assert fresh.status == Booking.Status.PENDING


def test_running_the_expiry_twice_does_no_harm(setup):
    stale = pending(setup)
    Booking.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert expire_pending_bookings() == 1
    assert expire_pending_bookings() == 0
    assert stale.events.filter(action="expired").count() == 1


def test_a_request_confirmed_in_time_is_not_expired(setup):
    from booking.services import booking_confirm

    booking = pending(setup)
    booking_confirm(booking=booking, actor=setup.therapist.user)
    Booking.objects.filter(pk=booking.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert expire_pending_bookings() == 0
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED


def test_beat_runs_the_expiry_every_five_minutes(db):
    from django_celery_beat.models import PeriodicTask

    entry = PeriodicTask.objects.get(name="expire-pending-bookings")
    assert entry.task == "booking.tasks.expire_pending_bookings"
    assert entry.interval.schedule == dt.timedelta(minutes=5)


# --- Admin ----------------------------------------------------------------------------------


@pytest.fixture
def booked(setup) -> Booking:
    return booking_create(
        client=setup.client,
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup),
    )


def test_admin_lists_searches_and_filters_bookings(logged_in, staff_user, booked, setup):
    http = logged_in(staff_user)
    changelist = reverse("admin:booking_booking_changelist")
    found = http.get(changelist, {"q": setup.client.user.email})
    assert found.status_code == 200
    assert setup.client.user.email in found.content.decode()
    missing = http.get(changelist, {"q": "nobody@nowhere.example"})
    assert setup.client.user.email not in missing.content.decode()
    by_therapist = http.get(changelist, {"q": setup.therapist.display_name})
    assert setup.client.user.email in by_therapist.content.decode()
    assert http.get(changelist, {"status__exact": "confirmed"}).status_code == 200
    assert http.get(changelist, {"therapist__id__exact": setup.therapist.pk}).status_code == 200
    day = booked.starts_at
    assert (
        http.get(
            changelist,
            {"starts_at__year": day.year, "starts_at__month": day.month, "starts_at__day": day.day},
        ).status_code
        == 200
    )


def test_admin_shows_the_history_read_only(logged_in, staff_user, booked):
    http = logged_in(staff_user)
    page = http.get(reverse("admin:booking_booking_change", args=[booked.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "created" in body
    assert 'name="starts_at"' not in body  # times are not editable here
    # "Add" is the book-for-a-client page, which goes through booking_create.
    add = http.get(reverse("admin:booking_booking_add")).content.decode()
    assert "Every booking rule applies here" in add


def test_admin_cancels_selected_bookings_with_a_reason(logged_in, staff_user, booked):
    http = logged_in(staff_user)
    changelist = reverse("admin:booking_booking_changelist")
    asked = http.post(
        changelist, {"action": "cancel_for_business", "_selected_action": [booked.pk]}
    )
    assert "Reason, shown to the client" in asked.content.decode()
    booked.refresh_from_db()
    assert booked.status == Booking.Status.CONFIRMED  # nothing until the reason is given
    response = http.post(
        changelist,
        {
            "action": "cancel_for_business",
            "_selected_action": [booked.pk],
            "confirmed": "1",
            "reason": "The therapist is ill.",
        },
        follow=True,
    )
    assert response.status_code == 200
    booked.refresh_from_db()
    assert booked.status == Booking.Status.CANCELLED
    assert booked.status_reason == "The therapist is ill."
    assert booked.events.last().actor == staff_user


# --- Dashboard and the client's visit page -----------------------------------------------------


def test_the_dashboard_lists_upcoming_and_past_visits_with_actions(logged_in, booked, setup):
    past = factories.BookingFactory(
        client=setup.client,
        service=setup.service,
        starts_at=timezone.now() - dt.timedelta(days=10),
        status=Booking.Status.COMPLETED,
    )
    body = logged_in(setup.client.user).get(reverse("dashboard")).content.decode()
    assert 'data-testid="upcoming-visits"' in body
    assert f'data-booking="{booked.pk}"' in body
    assert reverse("booking:reschedule", kwargs={"pk": booked.pk}) in body
    assert reverse("booking:cancel", kwargs={"pk": booked.pk}) in body
    assert 'data-testid="past-visits"' in body
    assert f'data-booking="{past.pk}"' in body
    assert "Completed" in body


def test_the_dashboard_does_not_offer_online_changes_after_the_cutoff(logged_in, booked, setup):
    soon = timezone.now() + dt.timedelta(hours=5)
    Booking.objects.filter(pk=booked.pk).update(
        starts_at=soon, ends_at=soon + dt.timedelta(hours=1)
    )
    body = logged_in(setup.client.user).get(reverse("dashboard")).content.decode()
    assert reverse("booking:cancel", kwargs={"pk": booked.pk}) not in body
    assert "Online changes have closed" in body


def test_the_dashboard_shows_only_the_clients_own_visits(logged_in, booked):
    other = factories.BookableClientFactory()
    body = logged_in(other.user).get(reverse("dashboard")).content.decode()
    assert f'data-booking="{booked.pk}"' not in body


def test_the_visit_page_shows_the_history(logged_in, booked, setup):
    from booking.services import booking_reschedule

    booking_reschedule(
        booking=booked, actor=setup.client.user, starts_at=first_slot(setup, index=8)
    )
    body = (
        logged_in(setup.client.user)
        .get(reverse("booking:detail", kwargs={"pk": booked.pk}))
        .content.decode()
    )
    assert 'data-testid="booking-history"' in body
    assert "Booked" in body
    assert "Moved to a new time" in body
    assert "(client)" in body


def test_the_history_partial_renders_for_the_therapists_visit_page(booked, setup):
    from django.template.loader import render_to_string

    html = render_to_string("booking/_history.html", {"booking": booked})
    assert 'data-action="created"' in html
    assert setup.client.user.display_name in html


# --- Demo data --------------------------------------------------------------------------------


def test_the_demo_seed_makes_past_and_upcoming_visits_once(db):
    from accounts import demo as accounts_demo
    from aftercare import demo as aftercare_demo
    from booking import demo
    from clients import demo as clients_demo
    from therapists import demo as therapists_demo

    for module in (accounts_demo, therapists_demo, clients_demo):
        module.seed(password="demo-pass-1234")
    demo.seed(password="demo-pass-1234")
    demo.seed(password="demo-pass-1234")
    aftercare_demo.seed(password="demo-pass-1234")
    mine = Booking.objects.filter(client__user__email=demo.DEMO_CLIENT)
    completed = mine.filter(status=Booking.Status.COMPLETED)
    upcoming = mine.filter(status__in=Booking.ACTIVE_STATUSES, starts_at__gt=timezone.now())
    assert completed.count() == 2
    assert upcoming.count() == 1
    assert all(b.starts_at < timezone.now() for b in completed)
    assert all(b.events.filter(action="completed").exists() for b in completed)
    assert upcoming.get().status == Booking.Status.CONFIRMED
    assert upcoming.get().starts_at > timezone.now() + dt.timedelta(days=2)
    from aftercare.models import Reminder

    assert Reminder.objects.filter(booking__in=completed).exists()
