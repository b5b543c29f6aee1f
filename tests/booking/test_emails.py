"""Booking e-mails: who gets what, after commit only, with an .ics that keeps one calendar
event up to date (UID stable, SEQUENCE rising, METHOD:CANCEL at the end), signed links that
work, no health data for the therapist's calendar, and the day-before reminder."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from aftercare.services import visit_tomorrow_due_at as reminder_due_at
from aftercare.tasks import dispatch_due_reminders
from booking.models import Booking
from booking.services import (
    SlotUnavailable,
    booking_cancel,
    booking_confirm,
    booking_create,
    booking_decline,
    booking_reschedule,
)
from booking.tasks import expire_pending_bookings
from clients.models import Intake
from tests import factories
from tests.booking.conftest import first_slot


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what happens after commit (the e-mails) as the test's transaction never commits."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def book(setup, commit, index=0, **kwargs):
    return commit(
        booking_create,
        client=setup.client,
        therapist=setup.therapist,
        service=setup.service,
        starts_at=first_slot(setup, index=index),
        **kwargs,
    )


def to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def event_of(message):
    (attachment,) = [a for a in message.attachments if a[0].endswith(".ics")]
    _filename, content, mimetype = attachment
    assert mimetype == "text/calendar"
    calendar = Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def html_of(message) -> str:
    (html,) = [content for content, kind in message.alternatives if kind == "text/html"]
    return html


def test_a_new_booking_emails_the_client_and_the_therapist_with_an_invite(setup, commit):
    booking = book(setup, commit)
    (client_mail,) = to(setup.client.user.email)
    (therapist_mail,) = to(setup.therapist.user.email)
    assert client_mail.subject.startswith("Confirmed:")
    assert therapist_mail.subject.startswith("New visit:")
    assert "<html" in html_of(client_mail) and "<html" in html_of(therapist_mail)
    calendar, event = event_of(client_mail)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == booking.ical_uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == booking.starts_at
    assert event.decoded("DTEND") == booking.ends_at
    assert str(event["LOCATION"]) == booking.address
    assert str(event["STATUS"]) == "CONFIRMED"
    # times are in the client's zone, named once in words
    assert re.search(
        r"When: \w{3}, \w{3} \d{1,2}, \d{1,2}:\d\d( [AP]M)?–\d{1,2}:\d\d [AP]M Eastern Time\n",
        client_mail.body,
    )


def test_the_client_email_says_what_to_prepare_and_how_to_change_it(setup, commit):
    book(setup, commit)
    (message,) = to(setup.client.user.email)
    assert "massage table" in message.body
    assert "water" in message.body
    assert "pressure" in message.body
    assert "up to 24 hours before" in message.body
    assert setup.therapist.user.email in message.body


def test_the_signed_links_in_the_email_work_without_logging_in(setup, commit):
    booking = book(setup, commit)
    (message,) = to(setup.client.user.email)
    cancel_url = re.search(r"https?://\S+/link/\S+/cancel/", message.body).group(0)
    move_url = re.search(r"https?://\S+/link/\S+/reschedule/", message.body).group(0)
    anonymous = Client()
    path = cancel_url.split("://", 1)[1].split("/", 1)[1]
    assert anonymous.get("/" + path).status_code == 200
    move_path = move_url.split("://", 1)[1].split("/", 1)[1]
    assert 'id="slot-picker"' in anonymous.get("/" + move_path).content.decode()
    anonymous.post("/" + path, {"reason": "Travelling"})
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED


def test_rescheduling_updates_the_same_event_and_cancelling_removes_it(setup, commit):
    booking = book(setup, commit)
    mail.outbox.clear()
    new_time = first_slot(setup, index=8)
    commit(booking_reschedule, booking=booking, actor=setup.client.user, starts_at=new_time)
    (moved,) = to(setup.client.user.email)
    (therapist_note,) = to(setup.therapist.user.email)
    assert moved.subject.startswith("Moved:")
    assert therapist_note.subject.startswith("Moved:")
    calendar, event = event_of(moved)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == booking.ical_uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == new_time
    assert event_of(therapist_note)[1]["UID"] == booking.ical_uid

    mail.outbox.clear()
    booking.refresh_from_db()
    commit(booking_cancel, booking=booking, actor=setup.client.user, reason="Away")
    (cancelled,) = to(setup.client.user.email)
    calendar, event = event_of(cancelled)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == booking.ical_uid
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert "Away" in cancelled.body
    (therapist_cancel,) = to(setup.therapist.user.email)
    assert str(event_of(therapist_cancel)[0]["METHOD"]) == "CANCEL"


def test_the_therapist_is_not_told_about_their_own_cancellation(setup, commit):
    booking = book(setup, commit)
    mail.outbox.clear()
    commit(booking_cancel, booking=booking, actor=setup.therapist.user, reason="Ill")
    assert to(setup.therapist.user.email) == []
    (message,) = to(setup.client.user.email)
    assert "had to cancel" in message.body
    assert "Ill" in message.body


def test_a_pending_booking_asks_the_therapist_and_tells_the_client_it_is_held(setup, commit):
    setup.therapist.auto_confirm = False
    setup.therapist.save()
    booking = book(setup, commit)
    (received,) = to(setup.client.user.email)
    (request,) = to(setup.therapist.user.email)
    assert received.subject.startswith("Request sent:")
    assert str(event_of(received)[1]["STATUS"]) == "TENTATIVE"
    assert request.subject.startswith("Please confirm:")
    assert "confirm or decline" in request.body

    mail.outbox.clear()
    commit(booking_confirm, booking=booking, actor=setup.therapist.user)
    (confirmed,) = to(setup.client.user.email)
    assert to(setup.therapist.user.email) == []  # they did it themselves
    assert confirmed.subject.startswith("Confirmed:")
    assert int(event_of(confirmed)[1]["SEQUENCE"]) == 1


def test_a_declined_request_removes_the_event(setup, commit):
    setup.therapist.auto_confirm = False
    setup.therapist.save()
    booking = book(setup, commit)
    mail.outbox.clear()
    commit(booking_decline, booking=booking, actor=setup.therapist.user, reason="Away that week")
    (declined,) = to(setup.client.user.email)
    assert declined.subject.startswith("Not confirmed:")
    assert "Away that week" in declined.body
    calendar, event = event_of(declined)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == booking.ical_uid


def test_the_therapists_email_and_invite_carry_no_health_data(setup, commit):
    setup.intake.medications = "Warfarin 5mg"
    setup.intake.goals = "Secret goal text"
    setup.intake.other_notes = "Private note"
    setup.intake.screening = [Intake.Screening.BLOOD_THINNERS]
    setup.intake.save()
    book(setup, commit, clearance_acknowledged=True)
    (message,) = to(setup.therapist.user.email)
    _calendar, event = event_of(message)
    everything = message.body + html_of(message) + message.attachments[0][1]
    for secret in ("Warfarin", "Secret goal", "Private note", "lood-thinning", "lood thinn"):
        assert secret not in everything
    assert "Buzzer 4B" in str(event["DESCRIPTION"])  # access notes are there to get in


def test_nothing_is_sent_when_the_booking_fails(setup, commit):
    taken = book(setup, commit)
    mail.outbox.clear()
    with pytest.raises(SlotUnavailable):
        commit(
            booking_create,
            client=factories.BookableClientFactory(),
            therapist=setup.therapist,
            service=setup.service,
            starts_at=taken.starts_at,
        )
    assert mail.outbox == []


def test_expiring_a_pending_request_tells_the_client(setup, commit):
    setup.therapist.auto_confirm = False
    setup.therapist.save()
    booking = book(setup, commit)
    Booking.objects.filter(pk=booking.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    mail.outbox.clear()
    assert commit(expire_pending_bookings) == 1
    (message,) = to(setup.client.user.email)
    assert "did not answer in time" in message.body
    assert str(event_of(message)[0]["METHOD"]) == "CANCEL"


# --- The day-before reminder --------------------------------------------------------------------


def visit_reminder(booking):
    from aftercare.models import Reminder

    return Reminder.objects.filter(booking=booking, kind=Reminder.Kind.VISIT_TOMORROW).first()


def later_booking(setup, commit, days=3):
    """A visit a few days ahead, so its day-before reminder is still in the future."""
    from booking.selectors import available_slots

    day = timezone.localtime(timezone.now(), setup.therapist.tz).date() + dt.timedelta(days=days)
    slot = available_slots(
        therapist=setup.therapist,
        service=setup.service,
        start_date=day,
        days=1,
        client=setup.client,
    )[8]
    return commit(
        booking_create,
        client=setup.client,
        therapist=setup.therapist,
        service=setup.service,
        starts_at=slot,
    )


def test_a_confirmed_visit_gets_a_reminder_the_evening_before(setup, commit):
    booking = later_booking(setup, commit)
    reminder = visit_reminder(booking)
    assert reminder is not None
    assert reminder.due_at == reminder_due_at(booking)
    assert timezone.localtime(reminder.due_at, booking.therapist.tz).hour == 18
    assert (
        timezone.localtime(booking.starts_at, booking.therapist.tz).date()
        - timezone.localtime(reminder.due_at, booking.therapist.tz).date()
    ) == dt.timedelta(days=1)
    # What the client receives: the e-mail the dispatcher sends at 18:00 the day before.
    mail.outbox.clear()
    dispatch_due_reminders.delay(now=(reminder.due_at + dt.timedelta(minutes=1)).isoformat())
    (delivered,) = to(setup.client.user.email)
    assert delivered.subject.startswith("Tomorrow:")
    for words in ("massage table", "Buzzer 4B", "water", "pressure", "/visits/"):
        assert words in delivered.body, words
    assert delivered.extra_headers["Message-ID"] == reminder.message_id


def test_the_reminder_moves_with_the_visit_and_goes_when_it_is_cancelled(setup, commit):
    from aftercare.models import Reminder

    booking = later_booking(setup, commit)
    new_day = timezone.localtime(booking.starts_at, setup.therapist.tz).date() + dt.timedelta(
        days=2
    )
    from booking.selectors import available_slots

    new_time = available_slots(
        therapist=setup.therapist,
        service=setup.service,
        start_date=new_day,
        days=1,
        client=setup.client,
        exclude_booking=booking,
    )[4]
    moved = commit(booking_reschedule, booking=booking, actor=setup.client.user, starts_at=new_time)
    assert visit_reminder(booking).due_at == reminder_due_at(moved)
    assert Reminder.objects.filter(booking=booking, kind=Reminder.Kind.VISIT_TOMORROW).count() == 1
    commit(booking_cancel, booking=moved, actor=setup.client.user)
    assert visit_reminder(booking).status == Reminder.Status.CANCELLED


def test_a_pending_request_gets_its_reminder_only_once_confirmed(setup, commit):
    setup.therapist.auto_confirm = False
    setup.therapist.save()
    booking = later_booking(setup, commit)
    assert visit_reminder(booking) is None
    commit(booking_confirm, booking=booking, actor=setup.therapist.user)
    assert visit_reminder(booking) is not None
