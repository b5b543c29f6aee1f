"""Session notes: written by the visit's therapist, read-only for later therapists of the
same client and for staff, invisible to everyone else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare import selectors
from aftercare.models import Reminder, SessionNote
from booking.models import Booking
from clients.models import Intake
from tests import factories
from tests.aftercare.factories import SessionNoteFactory, delivered, past_visit

pytestmark = pytest.mark.django_db

NOTE_FORM = {
    "areas": ["upper-back-right", "neck-back"],
    "pressure_used": "6",
    "trigger_points": "Levator scapulae (right), referring to the neck.",
    "client_response": "Breathed through it; relaxed by the end.",
    "advice": "Heat on the neck in the evening.",
    "follow_up_days": "14",
}


def _url(booking: Booking) -> str:
    return reverse("aftercare:session_note", kwargs={"pk": booking.pk})


def test_the_visits_therapist_writes_notes_and_the_plan_names_the_areas(client):
    booking = past_visit()
    client.force_login(booking.therapist.user)

    page = client.get(_url(booking))
    assert page.status_code == 200
    assert "Areas treated" in page.content.decode()

    response = client.post(_url(booking), NOTE_FORM)

    assert response.status_code == 302
    note = SessionNote.objects.get(booking=booking)
    assert note.therapist == booking.therapist
    assert note.client == booking.client
    assert note.treated_areas == ["upper-back-right", "neck-back"]
    assert note.pressure_used == 6
    assert note.advice == "Heat on the neck in the evening."
    next_day = delivered(Reminder.objects.get(booking=booking, kind=Reminder.Kind.NEXT_DAY))
    assert "upper back (right) and back of the neck" in next_day.body
    assert "Heat on the neck in the evening." in next_day.body


def test_saving_notes_on_a_started_confirmed_visit_completes_it(client):
    booking = past_visit(status=Booking.Status.CONFIRMED, hours_ago=0.5)
    client.force_login(booking.therapist.user)

    page = client.get(_url(booking)).content.decode()
    assert "Save notes and mark the visit completed" in page
    client.post(_url(booking), NOTE_FORM)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    assert Reminder.objects.filter(booking=booking).count() == 4
    assert SessionNote.objects.filter(booking=booking).exists()


def test_a_visit_that_has_not_started_takes_no_notes(client):
    booking = factories.BookingFactory()  # confirmed, in two days
    client.force_login(booking.therapist.user)

    assert client.get(_url(booking)).status_code == 404
    assert client.post(_url(booking), NOTE_FORM).status_code == 404
    assert not SessionNote.objects.exists()


def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(client):
    booking = past_visit()
    client.force_login(booking.therapist.user)

    response = client.post(
        _url(booking), {**NOTE_FORM, "pressure_used": "", "follow_up_days": "400"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose the pressure you used, from 1 to 10." in page
    assert "less than or equal to 120" in page
    assert "Levator scapulae (right), referring to the neck." in page  # what was typed is kept
    assert not SessionNote.objects.exists()


def test_the_form_starts_with_the_areas_the_client_marked_on_the_intake(client):
    intake = factories.IntakeFactory()
    factories.PainAreaFactory(intake=intake, region="calf-left")
    booking = past_visit(intake=intake)
    client.force_login(booking.therapist.user)

    page = client.get(_url(booking)).content.decode()

    assert 'value="calf-left" id="id_areas_calf-left" checked' in page
    assert 'value="calf-right" id="id_areas_calf-right" checked' not in page


def test_a_later_therapist_of_the_same_client_reads_the_notes_but_cannot_change_them(client):
    note = SessionNoteFactory(advice="Stretch the neck gently twice a day.")
    later = factories.BookingFactory(client=note.client)  # another therapist, in two days
    client.force_login(later.therapist.user)

    response = client.get(_url(note.booking))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stretch the neck gently twice a day." in page
    assert "Read-only" in page
    assert '<form method="post" novalidate class="mb-4" id="note-form">' not in page

    assert client.post(_url(note.booking), NOTE_FORM).status_code == 404
    note.refresh_from_db()
    assert note.advice == "Stretch the neck gently twice a day."
    # And the history on their own visit's page shows it too.
    assert selectors.notes_for_viewer(
        client=note.client, user=later.therapist.user, context="test"
    ) == [note]


def test_a_therapist_who_only_saw_the_client_before_cannot_read_later_notes(client):
    earlier = past_visit(hours_ago=24 * 20)
    note = SessionNoteFactory(booking=past_visit(client=earlier.client))
    client.force_login(earlier.therapist.user)

    assert client.get(_url(note.booking)).status_code == 404
    assert note not in selectors.notes_for_viewer(
        client=note.client, user=earlier.therapist.user, context="test"
    )


def test_another_therapist_without_this_client_gets_404(client):
    note = SessionNoteFactory()
    stranger = factories.TherapistProfileFactory()
    client.force_login(stranger.user)

    assert client.get(_url(note.booking)).status_code == 404
    assert not selectors.notes_for_viewer(client=note.client, user=stranger.user, context="test")


def test_a_cancelled_booking_does_not_make_a_therapist_a_later_therapist(client):
    note = SessionNoteFactory()
    cancelled = factories.BookingFactory(client=note.client, status=Booking.Status.CANCELLED)
    client.force_login(cancelled.therapist.user)

    assert client.get(_url(note.booking)).status_code == 404


def test_clients_never_see_session_notes_not_even_their_own(client):
    note = SessionNoteFactory()
    other_client = factories.ClientProfileFactory().user

    client.force_login(other_client)
    assert client.get(_url(note.booking)).status_code == 404
    client.force_login(note.client.user)
    assert client.get(_url(note.booking)).status_code == 404
    assert not selectors.notes_for_viewer(client=note.client, user=other_client, context="test")


def test_anonymous_visitors_are_sent_to_log_in(client):
    note = SessionNoteFactory()
    response = client.get(_url(note.booking))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_read_every_note(client, staff_user):
    note = SessionNoteFactory(trigger_points="Infraspinatus (left), referring down the arm.")
    client.force_login(staff_user)

    response = client.get(_url(note.booking))

    assert response.status_code == 200
    assert "Infraspinatus (left), referring down the arm." in response.content.decode()
    assert client.get("/admin/aftercare/sessionnote/").status_code == 200


def test_the_writer_can_correct_their_notes_later(client):
    note = SessionNoteFactory(pressure_used=4)
    client.force_login(note.therapist.user)

    client.post(_url(note.booking), {**NOTE_FORM, "pressure_used": "5"})

    note.refresh_from_db()
    assert note.pressure_used == 5
    assert SessionNote.objects.filter(booking=note.booking).count() == 1


def test_notes_page_shows_progress_for_the_client(client):
    intake = factories.IntakeFactory()
    factories.PainAreaFactory(intake=intake, region="lower-back", intensity=7, refers_to=[])
    note = SessionNoteFactory(booking=past_visit(intake=intake), treated_areas=["lower-back"])
    # Filled in before the visit, as it would be.
    Intake.objects.filter(pk=intake.pk).update(
        created_at=note.booking.starts_at - dt.timedelta(days=2)
    )
    client.force_login(note.therapist.user)

    page = client.get(_url(note.booking)).content.decode()

    assert "Progress by body area" in page
    assert '<svg viewBox="0 0 320 140" role="img"' in page
    assert "Lower back: pain at intake 7" in page


def test_note_access_for_a_no_show_visit_is_read_only_for_the_writer():
    note = SessionNoteFactory()
    Booking.objects.filter(pk=note.booking_id).update(status=Booking.Status.NO_SHOW)
    note.booking.refresh_from_db()

    assert selectors.note_access(booking=note.booking, user=note.therapist.user) == selectors.READ
    assert (
        selectors.note_access(
            booking=note.booking,
            user=note.therapist.user,
            now=timezone.now() + dt.timedelta(days=1),
        )
        == selectors.READ
    )
