"""The dispatcher in-process (any database): what is sent, what is skipped, retries, and the
e-mail itself. tests/aftercare/test_dispatch_workers.py runs it in real Celery workers."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes

import pytest
from django.core import mail
from django.utils import timezone

from aftercare import services
from aftercare.models import Reminder
from aftercare.tasks import dispatch_due_reminders
from booking.models import Booking
from core import delivery
from tests import factories
from tests.aftercare.factories import ReminderFactory, SessionNoteFactory, past_visit

pytestmark = pytest.mark.django_db


def _plan_for_past_visit(**kwargs) -> tuple[Booking, dict[str, Reminder]]:
    booking = past_visit(**kwargs)
    plan = {r.kind: r for r in services.aftercare_plan_create(booking=booking)}
    return booking, plan


def test_it_sends_what_is_due_and_nothing_else():
    booking, plan = _plan_for_past_visit(hours_ago=4)  # ended 3 hours ago: water is due
    result = services.reminders_dispatch_due()

    assert result.sent == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [booking.client.user.email]
    assert mail.outbox[0].subject == "Drink plenty of water today and tomorrow"
    water = Reminder.objects.get(pk=plan[Reminder.Kind.WATER].pk)
    assert water.status == Reminder.Status.SENT
    assert water.sent_at is not None
    assert water.attempts == 1
    assert water.sent_by
    assert Reminder.objects.filter(booking=booking, status=Reminder.Status.PENDING).count() == 3


def test_running_the_dispatcher_again_sends_nothing_twice():
    _plan_for_past_visit(hours_ago=4)
    services.reminders_dispatch_due()
    services.reminders_dispatch_due()
    dispatch_due_reminders.delay()

    assert len(mail.outbox) == 1


def test_the_task_takes_a_now_to_send_as_of_a_later_moment():
    _booking, plan = _plan_for_past_visit(hours_ago=4)
    dispatch_due_reminders.delay()
    later = plan[Reminder.Kind.NEXT_DAY].due_at + dt.timedelta(minutes=1)

    dispatch_due_reminders.delay(now=later.isoformat())

    assert [m.subject for m in mail.outbox] == [
        "Drink plenty of water today and tomorrow",
        "Sore after your massage? What helps",
    ]
    assert Reminder.objects.get(pk=plan[Reminder.Kind.NEXT_DAY].pk).sent_at == later


def test_a_stale_reminder_is_skipped_not_sent():
    _booking, plan = _plan_for_past_visit(hours_ago=4)
    water = plan[Reminder.Kind.WATER]
    more_than_a_day_late = water.stale_after + dt.timedelta(minutes=1)

    result = services.reminders_dispatch_due(now=more_than_a_day_late)

    water.refresh_from_db()
    assert water.status == Reminder.Status.SKIPPED
    assert water.skip_reason == Reminder.SkipReason.STALE
    assert water.sent_at is None
    assert result.skipped >= 1
    assert "Drink plenty of water" not in [m.subject for m in mail.outbox]


def test_a_cancelled_visit_sends_nothing():
    booking = factories.BookingFactory()
    services.reminder_schedule(
        client=booking.client,
        kind=Reminder.Kind.VISIT_TOMORROW,
        due_at=timezone.now() - dt.timedelta(minutes=1),
        booking=booking,
    )
    from booking.services import booking_cancel

    booking_cancel(booking=booking, actor=booking.therapist.user)
    mail.outbox.clear()

    services.reminders_dispatch_due()

    assert mail.outbox == []
    assert Reminder.objects.get(booking=booking).status == Reminder.Status.CANCELLED


def test_a_reminder_of_a_visit_cancelled_behind_its_back_is_not_sent():
    """Even if the cancel path forgot to cancel reminders, the dispatcher checks the visit."""
    booking, plan = _plan_for_past_visit(hours_ago=4)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)

    services.reminders_dispatch_due()

    assert mail.outbox == []
    assert Reminder.objects.get(pk=plan[Reminder.Kind.WATER].pk).status == Reminder.Status.CANCELLED


def test_a_client_who_turned_reminders_off_gets_no_email_but_sees_it_in_the_dashboard(client):
    booking, plan = _plan_for_past_visit(hours_ago=4)
    services.client_reminders_set(client=booking.client, enabled=False)

    services.reminders_dispatch_due()

    assert mail.outbox == []
    water = Reminder.objects.get(pk=plan[Reminder.Kind.WATER].pk)
    assert (water.status, water.skip_reason) == (
        Reminder.Status.SKIPPED,
        Reminder.SkipReason.REMINDERS_OFF,
    )
    client.force_login(booking.client.user)
    page = client.get("/dashboard/").content.decode()
    assert "Drink plenty of water today and tomorrow" in page
    assert "E-mails about your visits are off" in page


def test_a_failed_send_is_retried_with_backoff_then_marked_failed(settings):
    from tests.aftercare.backends import BrokenBackend

    BrokenBackend.calls = 0
    settings.EMAIL_BACKEND = "tests.aftercare.backends.BrokenBackend"
    reminder = ReminderFactory()
    now = timezone.now()
    result = services.reminders_dispatch_due(now=now)

    reminder.refresh_from_db()
    assert result.retrying == 1
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.attempts == 1
    assert "SMTP server unavailable" in reminder.last_error
    assert reminder.next_attempt_at == now + dt.timedelta(minutes=1)
    assert reminder.sent_at is None

    # Not retried before its back-off is over.
    services.reminders_dispatch_due(now=now + dt.timedelta(seconds=30))
    assert BrokenBackend.calls == 1

    moment = now
    for _attempt in range(delivery.MAX_ATTEMPTS - 1):
        reminder.refresh_from_db()
        moment = reminder.next_attempt_at
        services.reminders_dispatch_due(now=moment)
    reminder.refresh_from_db()
    assert BrokenBackend.calls == delivery.MAX_ATTEMPTS
    assert reminder.status == Reminder.Status.FAILED
    assert reminder.attempts == delivery.MAX_ATTEMPTS
    # The back-off doubled each time.
    assert delivery.backoff(1) == dt.timedelta(minutes=1)
    assert delivery.backoff(4) == dt.timedelta(minutes=8)
    assert delivery.backoff(20) == dt.timedelta(hours=1)


def test_staff_can_retry_a_failed_reminder_from_the_admin(client, staff_user):
    reminder = ReminderFactory(status=Reminder.Status.FAILED, attempts=5, last_error="OSError")
    client.force_login(staff_user)

    listing = client.get("/admin/aftercare/reminder/?status__exact=failed")
    assert listing.status_code == 200
    assert f"/admin/aftercare/reminder/{reminder.pk}/change/" in listing.content.decode()

    response = client.post(
        "/admin/aftercare/reminder/",
        {"action": "retry_failed", "_selected_action": [reminder.pk]},
    )
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.attempts == 0

    services.reminders_dispatch_due()
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT
    assert len(mail.outbox) == 1


def test_the_admin_finds_reminders_by_client_email(client, staff_user):
    reminder = ReminderFactory()
    other = ReminderFactory()
    client.force_login(staff_user)

    page = client.get(
        "/admin/aftercare/reminder/", {"q": reminder.client.user.email}
    ).content.decode()

    assert f"/admin/aftercare/reminder/{reminder.pk}/change/" in page
    assert f"/admin/aftercare/reminder/{other.pk}/change/" not in page


def test_every_email_has_a_one_click_unsubscribe_and_a_stable_message_id():
    reminder = ReminderFactory()
    services.reminders_dispatch_due()

    message = mail.outbox[0]
    headers = message_from_bytes(message.message().as_bytes())
    unsubscribe = "".join(headers["List-Unsubscribe"].split())  # long headers are folded
    assert unsubscribe.startswith("<http") and "/aftercare/unsubscribe/" in unsubscribe
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Message-ID"] == reminder.message_id
    assert unsubscribe.strip("<>") in message.body
    html = message.alternatives[0][0]
    assert unsubscribe.strip("<>").replace("&", "&amp;") in html


def test_the_follow_up_links_to_the_same_therapist_and_service_with_free_times():
    import datetime as _dt

    note = SessionNoteFactory(follow_up_days=14)
    booking = note.booking
    for weekday in range(7):
        factories.WeeklyHoursFactory(
            therapist=booking.therapist,
            weekday=weekday,
            start_time=_dt.time(9),
            end_time=_dt.time(17),
        )
    services.aftercare_plan_create(booking=booking)
    follow_up = Reminder.objects.get(booking=booking, kind=Reminder.Kind.FOLLOW_UP)

    services.reminders_dispatch_due(now=follow_up.due_at)

    sent = next(m for m in mail.outbox if m.subject.startswith("Time for your next visit"))
    query = f"therapist={booking.therapist_id}&service={booking.service_id}"
    assert query in sent.body
    assert "Free times around then" in sent.body
    assert "in one click" not in sent.body  # a link opens a time to check and confirm
    assert sent.body.count(query + "&starts_at=") == 3
    assert "thirty minutes every other week" in sent.body


def test_no_follow_up_when_the_client_already_booked_the_next_visit():
    booking, plan = _plan_for_past_visit(hours_ago=4)
    follow_up = plan[Reminder.Kind.FOLLOW_UP]
    factories.BookingFactory(
        client=booking.client,
        service=booking.service,
        starts_at=follow_up.due_at + dt.timedelta(days=2),
    )

    services.reminders_dispatch_due(now=follow_up.due_at)

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.skip_reason) == (
        Reminder.Status.SKIPPED,
        Reminder.SkipReason.ALREADY_BOOKED,
    )


def test_a_claim_taken_by_another_worker_is_not_sent_again():
    """The conditional UPDATE claim (the same on every database): the loser wins nothing."""
    reminder = ReminderFactory()
    now = timezone.now()
    assert delivery.claim(Reminder, now=now, worker="other-worker") is not None

    assert delivery.claim(Reminder, now=now, worker="me") is None
    assert delivery.dispatch_one("reminders", reminder.pk, now=now).sent == 0

    assert mail.outbox == []
    reminder.refresh_from_db()
    assert (reminder.status, reminder.sent_by) == (Reminder.Status.SENDING, "other-worker")


def test_a_claim_abandoned_by_a_dead_worker_is_sent_after_the_lease():
    reminder = ReminderFactory()
    long_ago = timezone.now() - delivery.CLAIM_LEASE - dt.timedelta(seconds=1)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.SENDING, claimed_at=long_ago, claim_token="dead-worker"
    )

    result = services.reminders_dispatch_due()

    assert result.recovered == 1
    assert result.sent == 1
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT
    assert len(mail.outbox) == 1


def test_a_fresh_claim_is_left_to_its_worker():
    reminder = ReminderFactory()
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.SENDING, claimed_at=timezone.now(), claim_token="busy-worker"
    )

    services.reminders_dispatch_due()

    assert mail.outbox == []


def test_a_run_that_hits_its_time_budget_says_there_is_more():
    ReminderFactory.create_batch(3)

    result = services.reminders_dispatch_due(time_budget=dt.timedelta(seconds=-1))

    assert result.more is True
    assert result.sent == 0
    assert services.reminders_dispatch_due().sent == 3
