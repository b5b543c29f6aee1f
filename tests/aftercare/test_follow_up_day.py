"""The recommended follow-up is a day the therapist works: the first one on or after the
recommendation, and the quick-book times are around it, on the dashboard and in the e-mail."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from django.core import mail
from django.utils import timezone

from aftercare import services
from aftercare.models import Reminder
from booking.selectors import follow_up_day
from core.timefmt import format_long_date
from tests import factories
from tests.aftercare.factories import SessionNoteFactory
from therapists.models import TimeOff

pytestmark = pytest.mark.django_db


def recommended_for(note) -> dt.date:
    booking = note.booking
    ended = timezone.localtime(booking.ends_at, booking.therapist.tz).date()
    return ended + dt.timedelta(days=note.follow_up_days)


def works_on(therapist, *weekdays: int) -> None:
    for weekday in weekdays:
        factories.WeeklyHoursFactory(
            therapist=therapist, weekday=weekday, start_time=dt.time(9), end_time=dt.time(17)
        )


def local_dates(slots, tz) -> set[dt.date]:
    return {s.astimezone(tz).date() for s in slots}


def test_a_recommendation_on_a_day_off_moves_to_the_next_day_they_work(client):
    note = SessionNoteFactory(follow_up_days=14)
    therapist = note.booking.therapist
    recommended = recommended_for(note)
    working_day = recommended + dt.timedelta(days=3)
    works_on(therapist, working_day.weekday())

    plan = follow_up_day(
        therapist=therapist,
        service=note.booking.service,
        client=note.client,
        recommended=recommended,
    )
    assert plan.on == working_day
    assert plan.slots and min(local_dates(plan.slots, therapist.tz)) == working_day

    client.force_login(note.client.user)
    page = client.get("/dashboard/").content.decode()
    assert f"The first day they work from then is {format_long_date(working_day)}." in page
    assert format_long_date(recommended) not in page


def test_time_off_on_the_recommended_day_is_not_offered(client):
    note = SessionNoteFactory(follow_up_days=10)
    therapist = note.booking.therapist
    works_on(therapist, *range(7))
    recommended = recommended_for(note)
    start = dt.datetime.combine(recommended, dt.time(0), tzinfo=therapist.tz)
    TimeOff.objects.create(
        therapist=therapist, starts_at=start, ends_at=start + dt.timedelta(days=1)
    )
    plan = follow_up_day(
        therapist=therapist,
        service=note.booking.service,
        client=note.client,
        recommended=recommended,
    )
    assert plan.on == recommended + dt.timedelta(days=1)
    assert recommended not in local_dates(plan.slots, therapist.tz)
    # Times around the day, spread out: a choice, not three quarter-hours in a row.
    assert all(b - a >= dt.timedelta(hours=2) for a, b in pairwise(plan.slots))


def test_the_follow_up_email_names_the_working_day_and_says_what_the_links_do():
    note = SessionNoteFactory(follow_up_days=14)
    booking = note.booking
    recommended = recommended_for(note)
    working_day = recommended + dt.timedelta(days=2)
    works_on(booking.therapist, working_day.weekday())
    services.aftercare_plan_create(booking=booking)
    follow_up = Reminder.objects.get(booking=booking, kind=Reminder.Kind.FOLLOW_UP)

    services.reminders_dispatch_due(now=follow_up.due_at)

    sent = next(m for m in mail.outbox if m.subject.startswith("Time for your next visit"))
    name = booking.therapist.display_name
    assert f"The first day {name} works from then is {format_long_date(working_day)}." in (
        " ".join(sent.body.split())
    )
    assert "in one click" not in sent.body
    assert "you check the details, then confirm" in sent.body
    assert sent.body.count("&starts_at=") >= 1
