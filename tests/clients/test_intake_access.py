"""Who may see an intake: the client, staff, and a therapist with a visit from a week before it
until a month after. Everyone else is refused every intake URL, and allowed views by anyone
other than the client are logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.privacy import health_access
from clients.models import IntakeAccessLog
from clients.services import intake_view_record
from tests.factories import (
    BookingFactory,
    ClientProfileFactory,
    IntakeFactory,
    PainAreaFactory,
    ServiceFactory,
    StaffFactory,
    TherapistProfileFactory,
)

pytestmark = pytest.mark.django_db
SECRET = "Takes warfarin daily"


def intake_visible_to(*, intake, user, now=None) -> bool:
    """The one health-data rule, asked for this intake's client."""
    return bool(health_access(user=user, client=intake.client, now=now))


@pytest.fixture
def intake():
    intake = IntakeFactory(medications=SECRET, goals="Private goal text")
    PainAreaFactory(intake=intake)
    return intake


def _therapist_with_visit(intake, *, starts_in: dt.timedelta, status=Booking.Status.CONFIRMED):
    service = ServiceFactory()
    starts = timezone.now() + starts_in
    BookingFactory(
        client=intake.client,
        service=service,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        status=status,
        intake=intake,
    )
    return service.therapist.user


def _intake_urls(intake) -> list[str]:
    return [
        reverse("clients:intake_detail", args=[intake.pk]),
        reverse("clients:intake_edit"),
        reverse("clients:intake_history"),
    ]


def _assert_refused_everywhere(client, user, intake) -> None:
    if user is not None:
        client.force_login(user)
    _detail, *own_pages = _intake_urls(intake)
    for url in _intake_urls(intake):
        response = client.get(url)
        if url in own_pages and user is not None and user.is_client:
            # Another client reaches only their own form and history, never this intake.
            assert response.status_code in (200, 302), url
            assert intake.get_absolute_url() not in response.content.decode(), url
        else:
            assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            # A client without a profile is sent to fill in their own details, nothing else.
            assert response["Location"].startswith(("/accounts/login/", "/me/details/")), url
        assert SECRET not in response.content.decode(), url
    assert not IntakeAccessLog.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, intake):
    for url in _intake_urls(intake):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    _assert_refused_everywhere(client, None, intake)


def test_another_client_is_refused(client, intake):
    other = ClientProfileFactory()
    IntakeFactory(client=other)
    client.force_login(other.user)
    assert client.get(reverse("clients:intake_detail", args=[intake.pk])).status_code == 404
    _assert_refused_everywhere(client, other.user, intake)


def test_an_unrelated_therapist_is_refused(client, intake):
    therapist = TherapistProfileFactory().user
    # Busy with someone else's visit in the window: that gives no right to this client.
    BookingFactory(service=ServiceFactory(therapist=therapist.therapist_profile))
    _assert_refused_everywhere(client, therapist, intake)
    assert not intake_visible_to(intake=intake, user=therapist)


@pytest.mark.parametrize(
    "starts_in",
    [dt.timedelta(days=8), dt.timedelta(days=-31)],
    ids=["more than a week before the visit", "more than a month after the visit"],
)
def test_a_therapist_outside_the_window_is_refused(client, intake, starts_in):
    therapist = _therapist_with_visit(intake, starts_in=starts_in)
    _assert_refused_everywhere(client, therapist, intake)


@pytest.mark.parametrize("status", [Booking.Status.CANCELLED, Booking.Status.DECLINED])
def test_a_therapist_whose_visit_was_cancelled_or_declined_is_refused(client, intake, status):
    therapist = _therapist_with_visit(intake, starts_in=dt.timedelta(days=1), status=status)
    _assert_refused_everywhere(client, therapist, intake)


def test_the_window_runs_from_a_week_before_to_a_month_after_inclusive(intake):
    now = timezone.now()
    therapist = _therapist_with_visit(intake, starts_in=dt.timedelta(0))
    starts = Booking.objects.get().starts_at
    assert intake_visible_to(intake=intake, user=therapist, now=starts - dt.timedelta(days=7))
    assert not intake_visible_to(
        intake=intake, user=therapist, now=starts - dt.timedelta(days=7, seconds=1)
    )
    assert intake_visible_to(intake=intake, user=therapist, now=starts + dt.timedelta(days=30))
    assert not intake_visible_to(
        intake=intake, user=therapist, now=starts + dt.timedelta(days=30, seconds=1)
    )
    assert intake_visible_to(intake=intake, user=therapist, now=now)


@pytest.mark.parametrize(
    "starts_in",
    [dt.timedelta(days=6), dt.timedelta(hours=-2), dt.timedelta(days=-29)],
    ids=["a week before", "just after", "a month after"],
)
def test_a_therapist_with_a_visit_in_the_window_sees_it_and_the_view_is_logged(
    client, intake, starts_in
):
    therapist = _therapist_with_visit(intake, starts_in=starts_in)
    client.force_login(therapist)
    response = client.get(reverse("clients:intake_detail", args=[intake.pk]))
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    log = IntakeAccessLog.objects.get()
    assert (log.intake, log.viewer, log.context) == (intake, therapist, "intake_detail")
    client.get(reverse("clients:intake_detail", args=[intake.pk]))
    assert IntakeAccessLog.objects.count() == 2


def test_a_therapist_still_cannot_edit_or_list_the_clients_intake(client, intake):
    therapist = _therapist_with_visit(intake, starts_in=dt.timedelta(days=1))
    client.force_login(therapist)
    assert client.get(reverse("clients:intake_edit")).status_code == 403
    assert client.get(reverse("clients:intake_history")).status_code == 403


def test_staff_see_any_intake_and_the_view_is_logged(client, intake):
    staff = StaffFactory()
    client.force_login(staff)
    response = client.get(reverse("clients:intake_detail", args=[intake.pk]))
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert IntakeAccessLog.objects.get().viewer == staff


def test_the_client_sees_their_own_intake_without_a_log_entry(client, intake):
    client.force_login(intake.client.user)
    for url in _intake_urls(intake):
        response = client.get(url)
        assert response.status_code == 200, url
    assert SECRET in client.get(_intake_urls(intake)[0]).content.decode()
    assert not IntakeAccessLog.objects.exists()


def test_an_inactive_user_sees_nothing(intake):
    staff = StaffFactory(is_active=False)
    assert not intake_visible_to(intake=intake, user=staff)


def test_intake_view_record_logs_others_but_not_the_client(intake):
    therapist = TherapistProfileFactory().user
    assert intake_view_record(intake=intake, viewer=intake.client.user, context="visit") is None
    log = intake_view_record(intake=intake, viewer=therapist, context="visit")
    assert log is not None and log.context == "visit"
    assert IntakeAccessLog.objects.count() == 1


def test_admin_shows_an_intake_read_only_and_logs_the_view(client, intake):
    staff = StaffFactory()
    client.force_login(staff)
    url = reverse("admin:clients_intake_change", args=[intake.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET in html
    assert 'name="_save"' not in html  # read-only: no save button
    assert "Upper back (right)" in html  # pain areas inline
    assert "Upper arm (right)" in html  # where it travels, by name
    assert "Chronic back or neck pain" in html  # reasons by label, not raw values
    log = IntakeAccessLog.objects.get()
    assert (log.viewer, log.context) == (staff, "admin")
    # Read-only means read-only: a crafted POST changes nothing.
    client.post(url, {"medications": "changed"})
    intake.refresh_from_db()
    assert intake.medications == SECRET
    assert client.get(reverse("admin:clients_intake_add")).status_code == 403


def test_admin_lists_the_access_log_with_search(client, intake):
    staff = StaffFactory()
    intake_view_record(intake=intake, viewer=staff, context="admin")
    client.force_login(staff)
    response = client.get(
        reverse("admin:clients_intakeaccesslog_changelist"), {"q": intake.client.user.email}
    )
    assert response.status_code == 200
    assert staff.email in response.content.decode()
    assert (
        client.get(reverse("admin:clients_clientprofile_changelist"), {"q": "10001"}).status_code
        == 200
    )
    assert (
        client.get(reverse("admin:clients_intake_changelist"), {"pressure": "medium"}).status_code
        == 200
    )
