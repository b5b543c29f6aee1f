"""Suspending a therapist from admin: hidden from the directory and from new bookings; their
booked visits kept, or cancelled through booking's services with the reason e-mailed to each
client."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.policy import TherapistUnavailable
from booking.services import booking_create
from tests import factories
from tests.booking.conftest import open_all_week
from therapists.models import TherapistProfile, WeeklyHours

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:therapists_therapistprofile_changelist"


@pytest.fixture
def therapist_with_visits():
    service = factories.ServiceFactory()
    open_all_week(service.therapist)
    start = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    visits = [
        factories.BookingFactory(service=service, starts_at=start + dt.timedelta(hours=2 * i))
        for i in range(2)
    ]
    past = factories.BookingFactory(
        service=service,
        starts_at=timezone.now() - dt.timedelta(days=2),
        status=Booking.Status.COMPLETED,
    )
    return service, visits, past


def _suspend(http, profile, **form):
    return http.post(
        reverse(CHANGELIST),
        {"action": "suspend", "_selected_action": [profile.pk], **form},
        follow=True,
    )


def _page(response) -> str:
    return html.unescape(response.content.decode())


def test_it_asks_what_to_do_with_the_booked_visits_first(client, therapist_with_visits):
    service, _visits, _past = therapist_with_visits
    client.force_login(factories.StaffFactory())
    page = _page(_suspend(client, service.therapist))
    assert "2 visits booked ahead" in page
    assert "Keep them" in page and "Cancel them" in page
    service.therapist.refresh_from_db()
    assert service.therapist.approval == TherapistProfile.Approval.APPROVED


def test_suspend_and_keep_hides_the_therapist_and_refuses_new_bookings(
    client, therapist_with_visits
):
    service, visits, _past = therapist_with_visits
    client.force_login(factories.StaffFactory())
    page = _page(_suspend(client, service.therapist, confirmed="1", visits="keep"))
    assert "1 therapist suspended" in page
    assert "2 booked visits kept." in page
    service.therapist.refresh_from_db()
    assert service.therapist.approval == TherapistProfile.Approval.SUSPENDED
    assert all(Booking.objects.get(pk=v.pk).status == Booking.Status.CONFIRMED for v in visits)
    client.logout()
    directory = _page(client.get(reverse("therapists:directory")))
    assert service.therapist.display_name not in directory
    assert client.get(service.therapist.get_absolute_url()).status_code == 404
    with pytest.raises(TherapistUnavailable):
        booking_create(
            client=factories.BookableClientFactory(),
            therapist=service.therapist,
            service=service,
            starts_at=visits[-1].starts_at + dt.timedelta(days=1),
        )


def test_suspend_and_cancel_needs_a_reason(client, therapist_with_visits):
    service, _visits, _past = therapist_with_visits
    client.force_login(factories.StaffFactory())
    page = _page(_suspend(client, service.therapist, confirmed="1", visits="cancel"))
    assert "Say why" in page
    service.therapist.refresh_from_db()
    assert service.therapist.approval == TherapistProfile.Approval.APPROVED


def test_suspend_and_cancel_cancels_each_future_visit_and_emails_the_client(
    client, therapist_with_visits, django_capture_on_commit_callbacks
):
    service, visits, past = therapist_with_visits
    staff = factories.StaffFactory()
    client.force_login(staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = _page(
            _suspend(
                client,
                service.therapist,
                confirmed="1",
                visits="cancel",
                reason="Your therapist cannot work for the next weeks.",
            )
        )
    assert "2 visits cancelled; the clients are e-mailed." in page
    for visit in visits:
        visit.refresh_from_db()
        assert visit.status == Booking.Status.CANCELLED
        assert visit.status_reason == "Your therapist cannot work for the next weeks."
        assert visit.events.last().actor == staff
        to_client = [m for m in mail.outbox if visit.client.user.email in m.to]
        assert to_client, "the client was not e-mailed"
        assert "Your therapist cannot work for the next weeks." in to_client[0].body
    past.refresh_from_db()
    assert past.status == Booking.Status.COMPLETED


def test_suspending_someone_not_approved_says_so(client):
    pending = factories.TherapistProfileFactory(approval=TherapistProfile.Approval.PENDING)
    client.force_login(factories.StaffFactory())
    page = _page(_suspend(client, pending, confirmed="1", visits="keep"))
    assert "was not approved: nothing to suspend" in page
    pending.refresh_from_db()
    assert pending.approval == TherapistProfile.Approval.PENDING


def test_approving_again_lifts_the_suspension(client):
    suspended = factories.TherapistProfileFactory(approval=TherapistProfile.Approval.SUSPENDED)
    client.force_login(factories.StaffFactory())
    client.post(reverse(CHANGELIST), {"action": "approve", "_selected_action": [suspended.pk]})
    suspended.refresh_from_db()
    assert suspended.is_approved


def test_the_therapist_page_shows_the_working_week_readably(client):
    profile = factories.TherapistProfileFactory()
    WeeklyHours.objects.create(
        therapist=profile, weekday=0, start_time=dt.time(9), end_time=dt.time(13)
    )
    WeeklyHours.objects.create(
        therapist=profile, weekday=0, start_time=dt.time(14), end_time=dt.time(18)
    )
    client.force_login(factories.StaffFactory())
    page = _page(client.get(reverse("admin:therapists_therapistprofile_change", args=[profile.pk])))
    assert '<th scope="row">Monday</th><td>09:00–13:00, 14:00–18:00</td>' in page
    assert '<th scope="row">Tuesday</th><td>off</td>' in page
    assert "Times in America/New_York" in page


def test_suspending_again_cancels_the_visits_first_kept(
    client, therapist_with_visits, django_capture_on_commit_callbacks
):
    service, visits, _past = therapist_with_visits
    client.force_login(factories.StaffFactory())
    _suspend(client, service.therapist, confirmed="1", visits="keep")
    with django_capture_on_commit_callbacks(execute=True):
        page = _page(
            _suspend(
                client, service.therapist, confirmed="1", visits="cancel", reason="Still unwell."
            )
        )
    assert f"{service.therapist.display_name} was already suspended." in page
    assert "2 visits cancelled" in page
    assert all(Booking.objects.get(pk=v.pk).status == Booking.Status.CANCELLED for v in visits)
