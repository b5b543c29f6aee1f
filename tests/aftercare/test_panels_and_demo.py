"""Templates other apps include (rating on the profile, aftercare on the visit page) and the
demo seed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.template.loader import render_to_string

from aftercare import selectors, services
from aftercare.models import Feedback, Reminder, SessionNote
from tests import factories
from tests.aftercare.factories import SessionNoteFactory, past_visit

pytestmark = pytest.mark.django_db


def test_the_rating_panel_shows_the_average_and_only_approved_comments():
    booking = past_visit()
    approved = services.feedback_submit(
        booking=booking, soreness=2, pressure="right", rating=5, comment="Shown."
    )
    services.feedback_comment_moderate(feedback=approved, approve=True)
    services.feedback_submit(
        booking=past_visit(service=booking.service),
        soreness=2,
        pressure="right",
        rating=4,
        comment="Not reviewed yet.",
    )

    html = render_to_string("aftercare/_therapist_rating.html", {"therapist": booking.therapist})

    assert "4.5" in html
    assert "2 ratings" in html
    assert "Shown." in html
    assert "Not reviewed yet." not in html


def test_the_visit_panel_shows_notes_only_to_those_who_may_read_them():
    note = SessionNoteFactory(advice="Heat for the stiffness.")
    services.aftercare_plan_create(booking=note.booking)

    def panel(user):
        ac = selectors.visit_aftercare(booking=note.booking, user=user)
        return render_to_string(
            "aftercare/_visit_aftercare.html", {"booking": note.booking, "ac": ac}
        )

    mine = panel(note.therapist.user)
    stranger = panel(factories.TherapistProfileFactory().user)

    assert "Heat for the stiffness." in mine
    assert "Edit the notes" in mine
    assert "Drink water" in mine  # this visit's reminders and their state
    assert stranger.strip() == ""


def test_the_demo_seed_gives_completed_visits_their_aftercare_and_is_idempotent():
    from aftercare import demo

    booking = past_visit(hours_ago=24 * 30)
    demo.seed(password="x")
    demo.seed(password="x")

    assert SessionNote.objects.filter(booking=booking).count() == 1
    reminders = Reminder.objects.filter(booking=booking)
    assert reminders.count() == 4
    # Everything already due is history, sent at its time; nobody is e-mailed now.
    assert set(reminders.values_list("status", flat=True)) == {Reminder.Status.SENT}
    assert mail.outbox == []


def test_the_demo_seed_gives_the_demo_client_feedback_for_the_chart():
    from aftercare import demo

    client = factories.ClientProfileFactory(user__email=demo.DEMO_CLIENT)
    booking = past_visit(client=client, hours_ago=24 * 30)
    demo.seed(password="x")
    demo.seed(password="x")

    feedback = Feedback.objects.get(booking=booking)
    assert feedback.comment_status == Feedback.Moderation.APPROVED
    assert Feedback.objects.count() == 1


def test_staff_can_open_every_aftercare_admin_page(client, staff_user):
    note = SessionNoteFactory()
    services.aftercare_plan_create(booking=note.booking)
    feedback = services.feedback_submit(
        booking=note.booking, soreness=2, pressure="right", rating=5, comment="Great."
    )
    reminder = Reminder.objects.filter(booking=note.booking).first()
    client.force_login(staff_user)

    for path in (
        "/admin/aftercare/reminder/",
        f"/admin/aftercare/reminder/{reminder.pk}/change/",
        "/admin/aftercare/sessionnote/",
        f"/admin/aftercare/sessionnote/{note.pk}/change/",
        "/admin/aftercare/feedback/?comment_status__exact=pending",
        f"/admin/aftercare/feedback/{feedback.pk}/change/",
        "/admin/aftercare/bookingseries/",
        f"/admin/aftercare/reminder/?q={note.client.user.email}",
        f"/admin/aftercare/reminder/?q=%3D{note.booking_id}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    page = client.get("/admin/aftercare/feedback/?comment_status__exact=pending").content.decode()
    assert "Great." in page
