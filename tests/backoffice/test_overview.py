"""The operations overview on the admin's home page: right counts, links to exactly those rows,
shown only to staff who may open each list, and a query count that does not grow with data."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftercare.models import Feedback, Reminder
from backoffice.overview import operations_overview
from booking.models import Booking
from core.models import Email
from tests import factories
from tests.aftercare.factories import ReminderFactory, SessionNoteFactory, past_visit
from therapists.models import TherapistProfile

pytestmark = pytest.mark.django_db


def _today_start() -> dt.datetime:
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


def build(n: int) -> dict[str, object]:
    """``n`` rows of every kind the overview counts, and some that it must not count."""
    therapists = [factories.ServiceFactory() for _ in range(max(1, n // 5))]
    start = _today_start()
    for i in range(n):
        service = therapists[i % len(therapists)]
        slot = i // len(therapists)
        # Today and tomorrow, an hour apart per therapist: no overlaps (PostgreSQL's constraint).
        # With notes, so that those of today that have ended are not waiting for notes.
        for day in (0, 1):
            visit = factories.BookingFactory(
                service=service, starts_at=start + dt.timedelta(days=day, hours=1 + slot * 2)
            )
            SessionNoteFactory(booking=visit)
        factories.BookingFactory(
            service=service,
            status=Booking.Status.PENDING,
            starts_at=start + dt.timedelta(days=3, hours=1 + slot * 2),
        )
        factories.BookingFactory(
            service=service,
            status=Booking.Status.AWAITING_CLEARANCE,
            starts_at=start + dt.timedelta(days=4, hours=1 + slot * 2),
        )
        past_visit(hours_ago=30 + i * 2, service=service)  # no notes
        ReminderFactory(status=Reminder.Status.FAILED)
        Email.objects.create(
            kind="test",
            to=f"x{i}@example.com",
            status=Email.Status.FAILED,
            due_at=timezone.now(),
            next_attempt_at=timezone.now(),
        )
        visit = past_visit(hours_ago=24 * 40 + i * 2, service=service)  # notes window past
        Feedback.objects.create(
            booking=visit,
            client=visit.client,
            therapist=visit.therapist,
            soreness=8,
            pressure=Feedback.Pressure.RIGHT,
            rating=4,
            therapist_alerted_at=timezone.now(),
        )
        factories.TherapistProfileFactory(approval=TherapistProfile.Approval.PENDING)
    # Not counted: a cancelled visit today, a visit with notes, a sent reminder, feedback
    # already followed up, a rejected therapist.
    factories.BookingFactory(
        service=therapists[0],
        status=Booking.Status.CANCELLED,
        starts_at=start + dt.timedelta(hours=23),
    )
    SessionNoteFactory(booking=past_visit(hours_ago=24 * 20, service=therapists[0]))
    ReminderFactory(status=Reminder.Status.SENT, sent_at=timezone.now())
    done = past_visit(hours_ago=24 * 50, service=therapists[0])
    Feedback.objects.create(
        booking=done,
        client=done.client,
        therapist=done.therapist,
        soreness=9,
        pressure=Feedback.Pressure.TOO_DEEP,
        rating=3,
        therapist_alerted_at=timezone.now(),
        followed_up_at=timezone.now(),
    )
    factories.TherapistProfileFactory(approval=TherapistProfile.Approval.REJECTED)
    return {"therapists": therapists}


def _rows_in(page: str) -> int:
    """How many result rows an admin changelist shows."""
    return len(re.findall(r'<input type="checkbox" name="_selected_action"', page))


def test_it_counts_what_waits_and_links_to_exactly_those_rows(client):
    build(5)
    overview = operations_overview()
    counts = {q.key: q.count for q in overview.queues}
    assert counts == {
        "pending": 5,
        "clearance": 5,
        "notes": 5,
        "reminders": 5,
        "emails": 5,
        "sore": 5,
        "therapists": 5,
    }
    assert overview.visits_today == 5
    assert overview.visits_tomorrow == 5
    client.force_login(factories.StaffFactory())
    for queue in overview.queues:
        page = client.get(queue.url)
        assert page.status_code == 200, queue.key
        assert _rows_in(page.content.decode()) == queue.count, queue.key
    row = overview.visits[0]
    assert _rows_in(client.get(row.today_url).content.decode()) == row.today
    assert _rows_in(client.get(row.tomorrow_url).content.decode()) == row.tomorrow


def test_the_admin_home_page_shows_the_overview(client):
    world = build(5)
    client.force_login(factories.StaffFactory())
    page = html.unescape(client.get(reverse("admin:index")).content.decode())
    assert 'data-testid="operations-overview"' in page
    assert "Bookings waiting for a doctor's clearance" in page
    assert "Sore clients not followed up" in page
    assert world["therapists"][0].therapist.display_name in page
    assert "status__exact=awaiting_clearance" in page


def test_staff_see_only_the_counts_whose_list_they_may_open(client):
    build(1)
    # A staff member with no permissions at all: no queue, no visits.
    bare = factories.StaffFactory(is_superuser=False)
    client.force_login(bare)
    page = html.unescape(client.get(reverse("admin:index")).content.decode())
    assert "Failed e-mails" not in page
    assert 'data-testid="visits-by-therapist"' not in page
    # A superuser without two-factor authentication: everything but the health data.
    client.force_login(factories.StaffFactory(mfa=False))
    page = html.unescape(client.get(reverse("admin:index")).content.decode())
    assert "Failed e-mails" in page
    assert "Sore clients not followed up" not in page


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_overview_reads_the_same_number_of_queries_for_5_or_50_rows(
    django_assert_num_queries,
):
    build(5)
    small = _queries(operations_overview)
    build(45)
    assert Booking.objects.filter(status=Booking.Status.PENDING).count() == 50
    with django_assert_num_queries(small):
        overview = operations_overview()
    assert {q.key: q.count for q in overview.queues}["pending"] == 50


def test_the_home_page_reads_the_same_number_of_queries_for_5_or_50_rows(client):
    staff = factories.StaffFactory()
    client.force_login(staff)
    build(5)
    small = _queries(lambda: client.get(reverse("admin:index")))
    build(45)
    assert _queries(lambda: client.get(reverse("admin:index"))) == small
