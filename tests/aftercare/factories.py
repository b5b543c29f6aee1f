"""Factories and helpers for the aftercare tests."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from aftercare.models import Reminder, SessionNote
from booking.models import Booking
from clients.models import Intake
from tests import factories


def past_visit(
    *,
    hours_ago: float = 3,
    status: str = Booking.Status.COMPLETED,
    intake: Intake | None = None,
    **kwargs,
) -> Booking:
    """A visit that started ``hours_ago`` (an hour long), by default completed, booked with
    ``intake`` (or a plain intake for a returning client)."""
    starts = (timezone.now() - dt.timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    if "client" not in kwargs:
        kwargs["client"] = intake.client if intake else factories.ClientProfileFactory()
    if intake is None:
        intake = factories.IntakeFactory(client=kwargs["client"])
    return factories.BookingFactory(starts_at=starts, status=status, intake=intake, **kwargs)


def delivered(reminder: Reminder):
    """The e-mail the client receives for ``reminder``: the dispatcher sends it at its due
    time, and this returns the message from the mail outbox (not the row's stored copy)."""
    from django.core import mail

    from core import delivery

    before = len(mail.outbox)
    delivery.dispatch_one("reminders", reminder.pk, now=reminder.due_at + dt.timedelta(minutes=1))
    sent = [
        m
        for m in mail.outbox[before:]
        if m.extra_headers.get("X-HomeKnots-Reminder") == str(reminder.pk)
    ]
    assert len(sent) == 1, f"reminder {reminder.pk} was not delivered"
    return sent[0]


class SessionNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionNote

    booking = factory.LazyFunction(past_visit)
    therapist = factory.SelfAttribute("booking.therapist")
    client = factory.SelfAttribute("booking.client")
    treated_areas = factory.LazyFunction(lambda: ["upper-back-right", "neck-back"])
    trigger_points = "Upper trapezius (right), referring behind the right eye."
    pressure_used = 5
    client_response = "Relaxed after the first ten minutes."
    advice = "Stretch the neck gently twice a day."
    follow_up_days = 14


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    client = factory.SubFactory(factories.ClientProfileFactory)
    booking = None
    kind = Reminder.Kind.CHECK_IN
    due_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=5))
    next_attempt_at = factory.SelfAttribute("due_at")
    subject = ""
    body = ""
