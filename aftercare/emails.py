"""One-off aftercare e-mails (outbox builders): the therapist's alert after feedback that says
the client is very sore or found the pressure too deep."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from clients.body import REGION_BY_SLUG
from core import outbox
from core.links import absolute

from .messages import local_label
from .models import Feedback

THERAPIST_ALERT = "aftercare.therapist_alert"


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
        "visit_day": date_format(timezone.localtime(booking.starts_at, therapist.tz), "l j F"),
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
