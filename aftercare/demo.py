"""Demo aftercare: the booking demo creates completed visits; this gives each one what a real
visit would have by now. Idempotent: run it as often as you like.

For every completed visit
- session notes, if the therapist has not written any (the areas the client marked);
- its aftercare plan (``aftercare_plan_create`` is idempotent; the booking demo writes past
  visits as history, not through ``booking_complete``);
- the reminders that fell due before today marked as sent at their due time, as the
  dispatcher would have done, without e-mailing anyone now (they show in the dashboard);
and for the demo client's earliest visit, feedback with an approved comment, so the progress
chart and the therapist's rating have something to show.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from booking.models import Booking

from .messages import render_reminder
from .models import Feedback, Reminder, SessionNote
from .services import aftercare_plan_create, feedback_comment_moderate, feedback_submit

DEMO_CLIENT = "client@homeknots.example"
DEFAULT_AREAS = ["neck-back", "upper-back-right"]


def _notes(booking: Booking) -> SessionNote:
    intake = booking.intake
    areas = [a.region for a in intake.pain_areas.all()] if intake else []
    return SessionNote.objects.create(
        booking=booking,
        therapist=booking.therapist,
        client=booking.client,
        treated_areas=areas or DEFAULT_AREAS,
        trigger_points=(
            "Upper trapezius (right), referring up the side of the neck to the temple; "
            "levator scapulae (right), local."
        ),
        pressure_used=6,
        client_response="Tense at first; relaxed once we warmed up. Asked for lighter on the neck.",
        advice=(
            "Gentle neck stretches twice a day; a cold pack on sore spots, 20 minutes on, 20 off."
        ),
        follow_up_days=14,
    )


def seed(*, password: str) -> list[tuple[str, str]]:
    now = timezone.now()
    completed = Booking.objects.filter(status=Booking.Status.COMPLETED).select_related(
        "client__user", "therapist", "service", "intake"
    )
    for booking in completed.order_by("starts_at"):
        if not SessionNote.objects.filter(booking=booking).exists():
            _notes(booking)
        aftercare_plan_create(booking=booking, now=now)
        for reminder in Reminder.objects.filter(
            booking=booking, status=Reminder.Status.PENDING, due_at__lte=now
        ).select_related("client__user", "booking__therapist", "booking__service"):
            subject, body = render_reminder(reminder, now=reminder.due_at)
            Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.PENDING).update(
                status=Reminder.Status.SENT,
                sent_at=F("due_at"),
                attempts=1,
                sent_by="demo",
                subject=subject[:200],
                body=body,
            )

    first = completed.filter(client__user__email=DEMO_CLIENT).order_by("starts_at").first()
    if first is not None and not Feedback.objects.filter(booking=first).exists():
        note = SessionNote.objects.get(booking=first)
        feedback = feedback_submit(
            booking=first,
            soreness=3,
            pressure=Feedback.Pressure.RIGHT,
            rating=5,
            area_soreness={slug: 3 for slug in note.treated_areas},
            comment=(
                "Found the knot behind my headaches in ten minutes. I could turn my head again."
            ),
            message="A little sore the next day, gone by the day after.",
            now=first.ends_at,
        )
        Feedback.objects.filter(pk=feedback.pk).update(
            created_at=first.ends_at + dt.timedelta(days=1)
        )
        feedback_comment_moderate(feedback=feedback, approve=True)
    return []
