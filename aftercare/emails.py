"""One-off aftercare e-mails (outbox builders): the therapist's alert after feedback that says
the client is very sore or found the pressure too deep."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from booking.models import Booking
from clients.body import REGION_BY_SLUG
from core import outbox
from core.links import absolute
from core.timefmt import format_long_date

from .messages import local_label
from .models import Feedback, SessionNote

THERAPIST_ALERT = "aftercare.therapist_alert"
NOTES_NUDGE = "aftercare.notes_nudge"


@outbox.builder(THERAPIST_ALERT)
def therapist_alert(facts: dict[str, Any], to: str) -> EmailMultiAlternatives:
    feedback = Feedback.objects.select_related(
        "booking__client__user", "booking__therapist__user"
    ).get(pk=facts["feedback"])
    booking = feedback.booking
    therapist = booking.therapist
    high_areas = [
        (REGION_BY_SLUG[slug].label, value)
        for slug, value in feedback.area_soreness.items()
        if value >= Feedback.HIGH_SORENESS and slug in REGION_BY_SLUG
    ]
    context = {
        "therapist": therapist,
        "client_name": booking.client.user.display_name,
        "visit_when": local_label(booking.starts_at, therapist.tz),
        "visit_day": format_long_date(booking.starts_at, zone=therapist.tz),
        "feedback": feedback,
        "high_areas": high_areas,
        "visit_url": absolute(reverse("therapists:visit", kwargs={"pk": booking.pk})),
    }
    # The subject names no symptom: subjects show on lock screens and in shared inboxes.
    subject = " ".join(
        render_to_string("aftercare/email/therapist_alert_subject.txt", context).split()
    )
    body = render_to_string("aftercare/email/therapist_alert.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[to])


@outbox.still_wanted(NOTES_NUDGE)
def notes_still_missing(facts: dict[str, Any]) -> bool:
    return not SessionNote.objects.filter(booking_id=facts["booking"]).exists()


@outbox.builder(NOTES_NUDGE)
def notes_nudge(facts: dict[str, Any], to: str) -> EmailMultiAlternatives:
    """A nudge to the therapist a few hours after a visit that has no notes yet. No health
    data: the client's first name, the time, and the link."""
    booking = Booking.objects.select_related("client__user", "therapist__user").get(
        pk=facts["booking"]
    )
    therapist = booking.therapist
    context = {
        "name": therapist.user.first_name or therapist.display_name,
        "client": booking.client.user.first_name or _("your client"),
        "visit_when": local_label(booking.starts_at, therapist.tz),
        "unmarked": booking.status == Booking.Status.CONFIRMED,
        "visit_url": absolute(reverse("therapists:visit", kwargs={"pk": booking.pk})),
        "notes_url": absolute(reverse("aftercare:session_note", kwargs={"pk": booking.pk})),
    }
    subject = _("Notes for your visit with %(client)s") % {"client": context["client"]}
    body = render_to_string("aftercare/email/notes_nudge.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[to])
