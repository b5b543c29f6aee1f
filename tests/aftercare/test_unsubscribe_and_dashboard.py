"""The one-click unsubscribe (signed, no login) and the client's dashboard panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from aftercare import services, tokens
from aftercare.models import Reminder
from clients.models import ClientProfile
from tests import factories
from tests.aftercare.factories import ReminderFactory, SessionNoteFactory, past_visit

pytestmark = pytest.mark.django_db


def _unsubscribe_url(client_profile: ClientProfile, kind: str = "reminders") -> str:
    return reverse(
        "aftercare:unsubscribe",
        kwargs={"token": tokens.unsubscribe_token(client_id=client_profile.pk, kind=kind)},
    )


def test_opening_the_unsubscribe_link_asks_and_does_not_unsubscribe_yet(client):
    profile = factories.ClientProfileFactory()

    response = client.get(_unsubscribe_url(profile))

    assert response.status_code == 200
    assert "Stop e-mails about my visits" in response.content.decode()
    profile.refresh_from_db()
    assert profile.email_reminders is True


def test_one_click_unsubscribes_without_logging_in(client):
    profile = factories.ClientProfileFactory()

    response = client.post(_unsubscribe_url(profile), {"action": "unsubscribe"})

    assert response.status_code == 200
    assert "we will not e-mail you about your visits" in response.content.decode()
    profile.refresh_from_db()
    assert profile.email_reminders is False


def test_the_mail_programs_one_click_post_unsubscribes(client):
    """RFC 8058: the provider POSTs "List-Unsubscribe=One-Click", with no cookie or CSRF token."""
    from django.test import Client

    profile = factories.ClientProfileFactory()
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        _unsubscribe_url(profile),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.email_reminders is False


def test_an_unsubscribed_client_gets_no_reminder_emails():
    profile = factories.ClientProfileFactory()
    ReminderFactory(client=profile)
    ReminderFactory()  # someone else's still goes

    services.client_reminders_set(client=profile, enabled=False)
    services.reminders_dispatch_due()

    assert [m.to for m in mail.outbox] != [[profile.user.email]]
    assert all(profile.user.email not in m.to for m in mail.outbox)
    assert len(mail.outbox) == 1


def test_the_client_can_turn_emails_back_on(client):
    profile = factories.ClientProfileFactory(email_reminders=False)

    client.post(_unsubscribe_url(profile), {"action": "resubscribe"})

    profile.refresh_from_db()
    assert profile.email_reminders is True


def test_a_tampered_unsubscribe_link_is_refused(client):
    profile = factories.ClientProfileFactory()
    url = reverse("aftercare:unsubscribe", kwargs={"token": f"{profile.pk + 1}:forged"})

    response = client.post(url)

    assert response.status_code == 400
    assert "unsubscribe link is not complete" in response.content.decode()
    profile.refresh_from_db()
    assert profile.email_reminders is True


def test_the_dashboard_shows_each_sent_reminder_and_no_one_elses(client):
    booking = past_visit(hours_ago=4)
    services.aftercare_plan_create(booking=booking)
    ReminderFactory(
        subject="Another client's reminder", status=Reminder.Status.SENT, sent_at=booking.ends_at
    )
    services.reminders_dispatch_due()
    client.force_login(booking.client.user)

    page = client.get("/dashboard/").content.decode()

    assert 'data-testid="aftercare-panel"' in page
    assert "Drink plenty of water today and tomorrow" in page
    assert "e-mailed" in page
    assert "Sore after your massage?" not in page  # not sent yet
    assert "Another client's reminder" not in page


def test_the_dashboard_offers_the_follow_up_with_the_same_therapist_and_service(client):
    note = SessionNoteFactory(follow_up_days=21, advice="Keep the shoulders moving.")
    for weekday in range(7):
        factories.WeeklyHoursFactory(
            therapist=note.booking.therapist,
            weekday=weekday,
            start_time=dt.time(9),
            end_time=dt.time(17),
        )
    client.force_login(note.client.user)

    page = client.get("/dashboard/").content.decode()

    assert 'data-testid="follow-up"' in page
    assert "about 21 days after the last one" in page
    assert "Keep the shoulders moving." in page
    assert f"therapist={note.booking.therapist_id}&amp;service={note.booking.service_id}" in page
    assert page.count("starts_at=") == 3  # the next free times, each one click from booking
    assert reverse("aftercare:series_new") in page


def test_no_follow_up_offer_while_a_visit_is_booked(client):
    note = SessionNoteFactory()
    factories.BookingFactory(client=note.client)
    client.force_login(note.client.user)

    assert 'data-testid="follow-up"' not in client.get("/dashboard/").content.decode()


def test_the_dashboard_draws_progress_per_area(client):
    profile = factories.ClientProfileFactory()
    first = factories.IntakeFactory(client=profile)
    factories.PainAreaFactory(intake=first, region="neck-back", intensity=8, refers_to=[])
    second = factories.IntakeFactory(client=profile)
    factories.PainAreaFactory(intake=second, region="neck-back", intensity=4, refers_to=[])
    note = SessionNoteFactory(booking=past_visit(intake=second), treated_areas=["neck-back"])
    services.feedback_submit(
        booking=note.booking, soreness=3, pressure="right", rating=5, area_soreness={"neck-back": 3}
    )
    client.force_login(profile.user)

    page = client.get("/dashboard/").content.decode()

    assert "Back of the neck · pain 8 → 4" in page
    assert (
        "Back of the neck: pain at intake 8, 4; soreness after visits 3; 1 visit treated it" in page
    )
    assert "<polyline" in page
    assert "Show the numbers" in page


def test_therapists_and_visitors_get_no_aftercare_panel(client):
    therapist = factories.TherapistProfileFactory()
    client.force_login(therapist.user)
    assert 'data-testid="aftercare-panel"' not in client.get("/dashboard/").content.decode()
