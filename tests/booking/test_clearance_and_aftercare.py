"""Clearance as a workflow, aftercare that does not depend on paperwork, two kinds of consent,
and the therapist's day-of view (docs/care-rules.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from aftercare import services as aftercare_services
from aftercare.models import Reminder, SessionNote
from aftercare.tasks import nudge_for_notes
from booking.models import Booking
from booking.services import (
    ClearanceNoteRequired,
    booking_create,
    booking_mark_no_show,
    booking_record_clearance,
)
from booking.tasks import expire_pending_bookings
from clients.models import Intake, IntakeAccessLog
from core import delivery
from tests import factories
from tests.aftercare.factories import delivered
from tests.booking.conftest import first_slot

pytestmark = pytest.mark.django_db


def _book(setup, django_capture_on_commit_callbacks, **extra) -> Booking:
    with django_capture_on_commit_callbacks(execute=True):
        return booking_create(
            client=setup.client,
            therapist=setup.therapist,
            service=setup.service,
            starts_at=first_slot(setup),
            **extra,
        )


def _to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


# --- Clearance --------------------------------------------------------------------------------


@pytest.fixture
def clot(setup):
    setup.intake.screening = [Intake.Screening.CLOT]
    setup.intake.screening_none = False
    setup.intake.save()
    return setup


def test_a_screening_that_needs_clearance_books_the_visit_as_awaiting_clearance(
    clot, django_capture_on_commit_callbacks
):
    booking = _book(clot, django_capture_on_commit_callbacks, clearance_acknowledged=True)
    assert booking.status == Booking.Status.AWAITING_CLEARANCE
    assert booking.clearance_acknowledged is True
    assert booking.expires_at == booking.starts_at  # held until the visit, not a day
    (client_mail,) = _to(clot.client.user.email)
    assert client_mail.subject.startswith("Clearance needed:")
    assert "get your doctor's clearance before this visit" in client_mail.body
    assert "A suspected or known blood clot" in client_mail.body
    (therapist_mail,) = _to(clot.therapist.user.email)
    assert therapist_mail.subject.startswith("Clearance needed:")
    assert "clot" not in therapist_mail.subject.lower()  # no health data in a subject


def test_the_therapist_records_clearance_with_a_note_and_the_visit_is_confirmed(
    clot, client, django_capture_on_commit_callbacks
):
    booking = _book(clot, django_capture_on_commit_callbacks, clearance_acknowledged=True)
    with pytest.raises(ClearanceNoteRequired):
        booking_record_clearance(booking=booking, actor=clot.therapist.user, note="  ")
    client.force_login(clot.therapist.user)
    page = client.get(reverse("therapists:visit", args=[booking.pk])).content.decode()
    assert 'data-testid="clearance-awaited"' in page
    assert 'value="record_clearance"' in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("booking:visit_action", args=[booking.pk]),
            {"action": "record_clearance", "reason": "Letter from Dr Ruiz, 2 Dec: no clot."},
        )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.clearance_recorded_by == clot.therapist.user
    assert booking.clearance_recorded_at is not None
    assert booking.clearance_note == "Letter from Dr Ruiz, 2 Dec: no clot."
    (confirmed,) = _to(clot.client.user.email)
    assert "has noted your doctor's clearance" in confirmed.body
    page = client.get(reverse("therapists:visit", args=[booking.pk])).content.decode()
    assert "Letter from Dr Ruiz" in page


def test_a_visit_waiting_for_clearance_can_be_postponed(
    clot, client, django_capture_on_commit_callbacks
):
    booking = _book(clot, django_capture_on_commit_callbacks, clearance_acknowledged=True)
    client.force_login(clot.therapist.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("booking:visit_action", args=[booking.pk]), {"action": "postpone"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED
    (told,) = _to(clot.client.user.email)
    assert "book again once you have their clearance" in told.body


def test_without_recorded_clearance_the_visit_is_declined_when_it_would_start(
    clot, django_capture_on_commit_callbacks
):
    booking = _book(clot, django_capture_on_commit_callbacks, clearance_acknowledged=True)
    Booking.objects.filter(pk=booking.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert expire_pending_bookings() == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED
    assert "No doctor's clearance was recorded" in booking.status_reason


def test_the_client_sees_what_is_needed_on_the_dashboard_and_the_evening_before(
    clot, client, django_capture_on_commit_callbacks
):
    booking = _book(clot, django_capture_on_commit_callbacks, clearance_acknowledged=True)
    client.force_login(clot.client.user)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="clearance-needed"' in page
    assert "Waiting for medical clearance" in page
    reminder = Reminder.objects.get(booking=booking, kind=Reminder.Kind.VISIT_TOMORROW)
    assert "still needs your doctor's clearance" in delivered(reminder).body


# --- Aftercare that does not depend on paperwork ---------------------------------------------


def test_a_confirmed_visit_nobody_marks_still_gets_its_safety_aftercare(
    setup, django_capture_on_commit_callbacks
):
    booking = _book(setup, django_capture_on_commit_callbacks)
    plan = {r.kind: r for r in Reminder.objects.filter(booking=booking)}
    assert set(plan) == {
        Reminder.Kind.VISIT_TOMORROW,
        Reminder.Kind.WATER,
        Reminder.Kind.NEXT_DAY,
        Reminder.Kind.CHECK_IN,
    }
    # The visit happens; nobody marks it completed. The safety part goes out anyway …
    for kind in Reminder.AFTERCARE_SAFETY_KINDS:
        assert booking.__class__.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
        body = delivered(plan[kind]).body
        assert "about 5 days at most" in body, kind
    # … and the follow-up, a suggestion, only exists once the visit is marked completed.
    assert not Reminder.objects.filter(booking=booking, kind=Reminder.Kind.FOLLOW_UP).exists()


def test_a_no_show_cancels_the_safety_aftercare(setup, django_capture_on_commit_callbacks):
    booking = _book(setup, django_capture_on_commit_callbacks)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=2),
        ends_at=timezone.now() - dt.timedelta(hours=1),
    )
    booking.refresh_from_db()
    booking_mark_no_show(booking=booking, actor=setup.therapist.user)
    statuses = set(
        Reminder.objects.filter(
            booking=booking, kind__in=Reminder.AFTERCARE_SAFETY_KINDS
        ).values_list("status", flat=True)
    )
    assert statuses == {Reminder.Status.CANCELLED}


def test_therapists_see_visits_waiting_for_notes_and_get_one_nudge(setup, client):
    booking = factories.BookingFactory(
        client=setup.client,
        service=setup.service,
        starts_at=timezone.now() - dt.timedelta(hours=5),
        status=Booking.Status.CONFIRMED,
    )
    client.force_login(setup.therapist.user)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="waiting-for-notes"' in page
    assert reverse("aftercare:session_note", args=[booking.pk]) in page

    assert nudge_for_notes() == 1
    assert nudge_for_notes() == 0  # once per visit, however often beat runs it
    delivery.dispatch(["outbox"])
    (nudge,) = _to(setup.therapist.user.email)
    assert nudge.subject == f"Notes for your visit with {setup.client.user.first_name}"
    assert "safety aftercare" in nudge.body


def test_a_nudge_for_notes_written_meanwhile_is_not_sent(setup):
    booking = factories.BookingFactory(
        client=setup.client,
        service=setup.service,
        starts_at=timezone.now() - dt.timedelta(hours=5),
        status=Booking.Status.COMPLETED,
    )
    assert nudge_for_notes() == 1
    SessionNote.objects.create(
        booking=booking, therapist=booking.therapist, client=booking.client, pressure_used=5
    )
    delivery.dispatch(["outbox"])
    assert _to(setup.therapist.user.email) == []


# --- Two kinds of consent ------------------------------------------------------------------------


def test_unsubscribing_from_a_follow_up_leaves_the_next_visits_safety_mails_on(
    setup, client, django_capture_on_commit_callbacks
):
    from tests.aftercare.factories import past_visit

    earlier = past_visit(client=setup.client, intake=setup.intake, hours_ago=24 * 20)
    plan = {r.kind: r for r in aftercare_services.aftercare_plan_create(booking=earlier)}
    follow_up = delivered(plan[Reminder.Kind.FOLLOW_UP])
    assert "Stop suggestions" in follow_up.body
    one_click = re.search(r"<(.+)>", follow_up.extra_headers["List-Unsubscribe"]).group(1)
    # The mail program's one-click POST (RFC 8058).
    client.post(
        one_click,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    setup.client.refresh_from_db()
    assert (setup.client.email_offers, setup.client.email_reminders) == (False, True)

    booking = _book(setup, django_capture_on_commit_callbacks)
    water = Reminder.objects.get(booking=booking, kind=Reminder.Kind.WATER)
    assert "Drink plenty of water" in delivered(water).body


def test_unsubscribing_from_visit_e_mails_leaves_suggestions_alone(client, setup):
    from aftercare import tokens

    url = reverse(
        "aftercare:unsubscribe",
        kwargs={"token": tokens.unsubscribe_token(client_id=setup.client.pk, kind="reminders")},
    )
    client.post(url, {"action": "unsubscribe"})
    setup.client.refresh_from_db()
    assert (setup.client.email_reminders, setup.client.email_offers) == (False, True)


def test_the_dashboard_has_one_switch_for_each_kind(client, setup):
    client.force_login(setup.client.user)
    client.post(reverse("aftercare:emails"), {"reminders": "on"})
    setup.client.refresh_from_db()
    assert (setup.client.email_reminders, setup.client.email_offers) == (True, False)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="email-switches"' in page


# --- The therapist's day-of view ------------------------------------------------------------------


def test_the_visit_page_shows_contact_checklist_and_body_map_inside_the_window(setup, client):
    setup.client.emergency_contact_name = "Sam Client"
    setup.client.emergency_contact_phone = "+1 212 555 0199"
    setup.client.save()
    factories.PainAreaFactory(intake=setup.intake, region="neck-back", refers_to=["head"])
    booking = factories.BookingFactory(
        client=setup.client, service=setup.service, intake=setup.intake
    )
    client.force_login(setup.therapist.user)
    page = client.get(reverse("therapists:visit", args=[booking.pk])).content.decode()
    assert setup.client.phone in page
    assert "Sam Client" in page
    assert IntakeAccessLog.objects.filter(
        record=IntakeAccessLog.Record.CONTACT, viewer=setup.therapist.user
    ).exists()
    assert 'data-testid="before-treating"' in page
    assert "under the influence of alcohol or drugs" in page
    assert "bm-readonly" in page  # the drawing, not only the text


def test_the_visit_page_hides_contact_outside_the_window(setup, client):
    booking = factories.BookingFactory(
        client=setup.client,
        service=setup.service,
        starts_at=timezone.now() + dt.timedelta(days=20),
    )
    client.force_login(setup.therapist.user)
    page = client.get(reverse("therapists:visit", args=[booking.pk])).content.decode()
    assert setup.client.phone not in page
    assert "from a week before the visit" in page
    assert not IntakeAccessLog.objects.filter(record=IntakeAccessLog.Record.CONTACT).exists()
