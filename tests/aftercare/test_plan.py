"""The aftercare plan: created when a visit is completed, personalised by the care flags and
the session notes, never duplicated, cancelled with the visit."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from aftercare import services
from aftercare.models import Reminder
from booking.models import Booking
from clients.models import Intake
from tests import factories
from tests.aftercare.factories import SessionNoteFactory, delivered, past_visit

pytestmark = pytest.mark.django_db


def _plan(booking: Booking) -> dict[str, Reminder]:
    return {r.kind: r for r in services.aftercare_plan_create(booking=booking)}


def test_it_creates_four_reminders_timed_from_the_visits_end():
    booking = past_visit(hours_ago=2)
    plan = _plan(booking)

    assert list(plan) == [
        Reminder.Kind.WATER,
        Reminder.Kind.NEXT_DAY,
        Reminder.Kind.CHECK_IN,
        Reminder.Kind.FOLLOW_UP,
    ]
    tz = zoneinfo.ZoneInfo(booking.client.time_zone)
    end_day = timezone.localtime(booking.ends_at, tz).date()
    water = plan[Reminder.Kind.WATER]
    assert booking.ends_at < water.due_at <= booking.ends_at + dt.timedelta(hours=2)
    assert water.stale_after == booking.ends_at + dt.timedelta(days=1)
    next_day = timezone.localtime(plan[Reminder.Kind.NEXT_DAY].due_at, tz)
    assert (next_day.date(), next_day.hour) == (end_day + dt.timedelta(days=1), 9)
    check_in = timezone.localtime(plan[Reminder.Kind.CHECK_IN].due_at, tz)
    assert check_in.date() == end_day + dt.timedelta(days=4)
    follow_up = timezone.localtime(plan[Reminder.Kind.FOLLOW_UP].due_at, tz)
    assert follow_up.date() == end_day + dt.timedelta(days=14)
    assert all(r.status == Reminder.Status.PENDING for r in plan.values())
    assert all(r.next_attempt_at == r.due_at for r in plan.values())
    assert all(r.client == booking.client for r in plan.values())


def test_it_writes_every_reminder_from_care_md():
    plan = _plan(past_visit())

    assert "Drink plenty of water today and tomorrow" in delivered(plan[Reminder.Kind.WATER]).body
    next_day = delivered(plan[Reminder.Kind.NEXT_DAY]).body
    assert "2–3 days" in next_day
    assert "20 minutes on, 20 minutes off" in next_day
    assert "Heat eases general stiffness" in next_day
    assert "stretching" in next_day
    assert "/aftercare/visits/" in next_day  # the feedback link
    check_in = delivered(plan[Reminder.Kind.CHECK_IN]).body
    assert "about 5 days" in check_in
    assert "see a doctor" in check_in
    assert "unusual place" in check_in
    follow_up = delivered(plan[Reminder.Kind.FOLLOW_UP]).body
    assert "thirty minutes every other week does more good than an hour once a month" in follow_up
    assert "14 days" in follow_up


def test_it_tells_a_first_timer_soreness_is_more_likely():
    client = factories.ClientProfileFactory()
    intake = factories.IntakeFactory(client=client, never_had_massage=True, last_massage_on=None)
    plan = _plan(past_visit(intake=intake))

    assert "more likely after a first massage" in delivered(plan[Reminder.Kind.WATER]).body
    assert (
        "Soreness is most likely after a first massage"
        in delivered(plan[Reminder.Kind.NEXT_DAY]).body
    )
    # A returning client is not told the same.
    other = _plan(past_visit())
    assert "first massage" not in delivered(other[Reminder.Kind.NEXT_DAY]).body


def test_it_tells_a_client_after_a_long_gap_it_is_like_a_first_massage_again():
    client = factories.ClientProfileFactory()
    intake = factories.IntakeFactory(
        client=client, last_massage_on=timezone.localdate() - dt.timedelta(weeks=20)
    )
    plan = _plan(past_visit(intake=intake))

    assert (
        "each one is a bit like a first massage again"
        in delivered(plan[Reminder.Kind.NEXT_DAY]).body
    )
    assert "after a long gap" in delivered(plan[Reminder.Kind.WATER]).body


def test_it_reminds_a_client_with_fibromyalgia_that_light_pressure_works_best():
    client = factories.ClientProfileFactory()
    intake = factories.IntakeFactory(client=client, reasons=[Intake.Reason.FIBROMYALGIA])
    plan = _plan(past_visit(intake=intake))

    assert "With fibromyalgia, gentle, light pressure usually works best" in (
        delivered(plan[Reminder.Kind.NEXT_DAY]).body
    )
    other = _plan(past_visit())
    assert "fibromyalgia" not in delivered(other[Reminder.Kind.NEXT_DAY]).body


def test_it_names_the_treated_areas_from_the_session_notes():
    note = SessionNoteFactory(
        treated_areas=["upper-back-right", "neck-back"], advice="Shoulder rolls."
    )
    plan = _plan(note.booking)

    body = delivered(plan[Reminder.Kind.NEXT_DAY]).body
    assert "your upper back (right) and back of the neck" in body
    assert "Shoulder rolls." in body


def test_it_names_the_intake_areas_until_notes_are_written_then_updates_the_plan():
    client = factories.ClientProfileFactory()
    intake = factories.IntakeFactory(client=client)
    factories.PainAreaFactory(intake=intake, region="lower-back", intensity=6, refers_to=[])
    without_notes = past_visit(intake=intake, hours_ago=30)
    plan = _plan(without_notes)
    assert "your lower back" in delivered(plan[Reminder.Kind.NEXT_DAY]).body

    booking = past_visit(intake=intake)
    _plan(booking)
    services.session_note_save(
        booking=booking,
        therapist=booking.therapist,
        treated_areas=["calf-left"],
        pressure_used=8,
        follow_up_days=21,
    )

    refreshed = {r.kind: r for r in Reminder.objects.filter(booking=booking)}
    assert Reminder.objects.filter(booking=booking).count() == 4
    body = delivered(refreshed[Reminder.Kind.NEXT_DAY]).body
    assert "your calf (left)" in body
    assert "lower back" not in body
    assert "deeper work is more likely to leave you sore" in body
    tz = zoneinfo.ZoneInfo(client.time_zone)
    end_day = timezone.localtime(booking.ends_at, tz).date()
    due = timezone.localtime(refreshed[Reminder.Kind.FOLLOW_UP].due_at, tz)
    assert due.date() == end_day + dt.timedelta(days=21)
    assert "21 days" in delivered(refreshed[Reminder.Kind.FOLLOW_UP]).body


def test_it_never_duplicates_a_plan_created_twice():
    booking = past_visit()
    services.aftercare_plan_create(booking=booking)
    services.aftercare_plan_create(booking=booking)

    assert Reminder.objects.filter(booking=booking).count() == 4


def test_the_database_refuses_a_second_reminder_of_the_same_kind_for_a_visit():
    booking = past_visit()
    services.aftercare_plan_create(booking=booking)
    water = Reminder.objects.get(booking=booking, kind=Reminder.Kind.WATER)

    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            client=booking.client,
            booking=booking,
            kind=Reminder.Kind.WATER,
            due_at=water.due_at,
            next_attempt_at=water.due_at,
            subject="again",
            body="again",
        )


def test_it_leaves_sent_reminders_alone_when_the_plan_is_refreshed():
    booking = past_visit()
    services.aftercare_plan_create(booking=booking)
    sent_at = timezone.now()
    Reminder.objects.filter(booking=booking, kind=Reminder.Kind.WATER).update(
        status=Reminder.Status.SENT, sent_at=sent_at, body="what was sent"
    )

    services.aftercare_plan_create(booking=booking)

    water = Reminder.objects.get(booking=booking, kind=Reminder.Kind.WATER)
    assert (water.status, water.body, water.sent_at) == (
        Reminder.Status.SENT,
        "what was sent",
        sent_at,
    )


def test_completing_a_visit_through_the_booking_service_creates_the_plan():
    from booking.services import booking_complete

    booking = past_visit(status=Booking.Status.CONFIRMED)
    booking_complete(booking=booking, actor=booking.therapist.user)

    assert Reminder.objects.filter(booking=booking).count() == 4


@pytest.mark.parametrize("action", ["cancel", "no_show"])
def test_cancelling_or_a_no_show_cancels_the_pending_reminders(action):
    from booking import services as booking_services

    booking = factories.BookingFactory()
    services.reminder_schedule(
        client=booking.client,
        kind=Reminder.Kind.VISIT_TOMORROW,
        due_at=booking.starts_at - dt.timedelta(days=1),
        booking=booking,
    )
    if action == "cancel":
        booking_services.booking_cancel(booking=booking, actor=booking.therapist.user)
    else:
        Booking.objects.filter(pk=booking.pk).update(
            starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=timezone.now()
        )
        booking.refresh_from_db()
        booking_services.booking_mark_no_show(booking=booking, actor=booking.therapist.user)

    reminder = Reminder.objects.get(booking=booking)
    assert reminder.status == Reminder.Status.CANCELLED


def test_reminders_cancel_for_booking_cancels_pending_and_failed_but_not_sent():
    booking = past_visit()
    services.aftercare_plan_create(booking=booking)
    Reminder.objects.filter(booking=booking, kind=Reminder.Kind.WATER).update(
        status=Reminder.Status.SENT, sent_at=timezone.now()
    )
    Reminder.objects.filter(booking=booking, kind=Reminder.Kind.NEXT_DAY).update(
        status=Reminder.Status.FAILED
    )

    assert services.reminders_cancel_for_booking(booking=booking) == 3

    statuses = dict(Reminder.objects.filter(booking=booking).values_list("kind", "status"))
    assert statuses[Reminder.Kind.WATER] == Reminder.Status.SENT
    assert statuses[Reminder.Kind.NEXT_DAY] == Reminder.Status.CANCELLED
    assert statuses[Reminder.Kind.FOLLOW_UP] == Reminder.Status.CANCELLED


def test_reminder_schedule_keeps_one_visit_reminder_and_moves_it_with_the_visit():
    booking = factories.BookingFactory()
    first_due = booking.starts_at - dt.timedelta(days=1)
    reminder = services.reminder_schedule(
        client=booking.client,
        kind=Reminder.Kind.VISIT_TOMORROW,
        due_at=first_due,
        booking=booking,
    )
    assert reminder.stale_after == booking.starts_at
    message = delivered(reminder)
    assert "comes to you tomorrow" in message.body
    assert "alcohol" in message.body
    assert booking.access_notes in message.body

    moved_due = first_due + dt.timedelta(days=2)
    again = services.reminder_schedule(
        client=booking.client, kind=Reminder.Kind.VISIT_TOMORROW, due_at=moved_due, booking=booking
    )

    assert Reminder.objects.filter(booking=booking).count() == 1
    assert again.due_at == moved_due
    assert again.status == Reminder.Status.PENDING


def test_reminder_schedule_refuses_a_naive_time_or_an_unknown_kind():
    client = factories.ClientProfileFactory()
    with pytest.raises(ValueError):
        services.reminder_schedule(client=client, kind="birthday", due_at=timezone.now())
    with pytest.raises(ValueError):
        services.reminder_schedule(
            client=client, kind=Reminder.Kind.CHECK_IN, due_at=dt.datetime(2030, 1, 1)
        )


def test_a_visit_ending_late_gets_its_water_reminder_soon_after_not_at_night():
    client = factories.ClientProfileFactory(time_zone="America/New_York")
    tz = zoneinfo.ZoneInfo("America/New_York")
    starts = dt.datetime.combine(
        timezone.localdate() - dt.timedelta(days=1), dt.time(20, 30), tzinfo=tz
    )
    booking = factories.BookingFactory(
        client=client,
        starts_at=starts,
        status=Booking.Status.COMPLETED,
        intake=factories.IntakeFactory(client=client),
    )
    water = _plan(booking)[Reminder.Kind.WATER]

    assert water.due_at == booking.ends_at + dt.timedelta(minutes=15)
