"""The dispatcher on a batch of the real mix (the four aftercare reminders of completed visits,
for every kind of client): a few queries per reminder, not a few per fact, and every e-mail
exactly what rendering that reminder on its own gives (subject, text and HTML)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core import mail, signing
from django.db import connection
from django.template import engines
from django.template.loader import get_template, render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftercare import services
from aftercare.messages import (
    book_again_url,
    client_tz,
    feedback_url,
    follow_up_plan,
    follow_up_slots,
    join_labels,
    local_label,
    series_url,
    unsubscribe_url,
    visit_facts,
    visit_facts_many,
)
from aftercare.models import Reminder
from booking.models import Booking
from booking.wording import PREPARE_AT_HOME
from clients.models import Intake
from core import delivery
from core.links import absolute
from core.timefmt import TIME_FORMAT, format_long_date
from tests import factories
from tests.aftercare.factories import SessionNoteFactory, past_visit

pytestmark = pytest.mark.django_db

# The budget of the issue "Pages at the framework's ceiling": at most this many queries per
# reminder on a batch of the real mix, claim and load included.
QUERIES_PER_REMINDER = 3


def _therapist_with_hours() -> Any:
    service = factories.ServiceFactory(therapist__min_notice_hours=2)
    for weekday in range(7):
        factories.WeeklyHoursFactory(therapist=service.therapist, weekday=weekday)
    return service


def real_mix(visits_per_client: int = 3) -> list[Booking]:
    """Completed visits for every kind of client, with their plans made: first-timers,
    regulars (several visits in one batch), long gaps, fibromyalgia, a suspected clot, notes
    with treated areas and deep work, intake pain areas only, a visit with no intake of its
    own, a client without a first name, a client already booked again."""
    services_ = [_therapist_with_hours(), _therapist_with_hours()]
    kinds: list[dict[str, Any]] = [
        {"never_had_massage": True, "last_massage_on": None},
        {"last_massage_on": timezone.localdate() - dt.timedelta(weeks=20)},
        {"reasons": [Intake.Reason.FIBROMYALGIA, Intake.Reason.CHRONIC_PAIN]},
        {"screening": [Intake.Screening.CLOT]},
        {},
    ]
    visits: list[Booking] = []
    for n, answers in enumerate(kinds):
        client = factories.ClientProfileFactory(user__first_name="" if n == 4 else "Sam")
        intake = factories.IntakeFactory(client=client, **answers)
        factories.PainAreaFactory(intake=intake, region="neck-back")
        factories.PainAreaFactory(intake=intake, region="lower-back")
        for k in range(visits_per_client):
            service = services_[(n + k) % 2]
            visit = past_visit(
                client=client,
                intake=intake,
                service=service,
                hours_ago=24 * (3 + 11 * k) + n,
            )
            if n == 4 and k == 0:  # booked before intakes were tied to visits
                Booking.objects.filter(pk=visit.pk).update(intake=None)
                visit.refresh_from_db()
            if k == 1:
                SessionNoteFactory(
                    booking=visit, pressure_used=8, advice="Heat on the lower back tonight."
                )
            if k == 2:
                SessionNoteFactory(booking=visit, treated_areas=[], follow_up_days=21)
            visits.append(visit)
    # The last client has booked again: their follow-ups are skipped, not sent, and the
    # next visit has its day-before reminder.
    upcoming = factories.BookingFactory(
        client=visits[-1].client,
        service=services_[0],
        starts_at=timezone.now() + dt.timedelta(days=5),
        access_notes="Side door, mind the cat.",
    )
    services.visit_tomorrow_schedule(booking=upcoming)
    for visit in visits:
        services.aftercare_plan_create(booking=visit)
    return visits


def all_due(now: dt.datetime) -> None:
    """Every reminder of the plans due at once, none stale: a backlog, the dispatcher's
    busiest moment."""
    Reminder.objects.update(
        due_at=now - dt.timedelta(minutes=5),
        next_attempt_at=now - dt.timedelta(minutes=5),
        stale_after=None,
    )


def context_before(reminder: Reminder, *, now: dt.datetime) -> dict[str, Any]:
    """The oracle: a reminder's template context as it was built before the dispatcher loaded
    batches (every value for every kind, each fact read on its own). Rendering a kind with it
    and with today's context must give the same e-mail."""
    client = reminder.client
    tz = client_tz(client)
    context: dict[str, Any] = {
        "name": client.user.first_name or client.user.display_name,
        "dashboard_url": absolute(reverse("dashboard")),
        "site_name": "HomeKnots",
    }
    booking = reminder.booking
    if booking is None:
        return context
    facts = visit_facts(booking)
    context.update(
        {
            "booking": booking,
            "therapist": booking.therapist.display_name,
            "service": str(booking.service),
            "visit_when": local_label(booking.starts_at, tz),
            "visit_day": format_long_date(booking.starts_at, zone=tz),
            "visit_time": local_label(booking.starts_at, tz, TIME_FORMAT),
            "address": booking.address,
            "access_notes": booking.access_notes,
            "prepare": [str(line) for line in PREPARE_AT_HOME],
            "detail_url": absolute(reverse("booking:detail", kwargs={"pk": booking.pk})),
            "facts": facts,
            "areas": join_labels(facts.area_labels),
            "feedback_url": absolute(feedback_url(booking)),
            "book_url": absolute(
                book_again_url(therapist_id=booking.therapist_id, service_id=booking.service_id)
            ),
            "series_url": absolute(
                series_url(therapist_id=booking.therapist_id, service_id=booking.service_id)
            ),
        }
    )
    if reminder.kind == Reminder.Kind.FOLLOW_UP:
        plan = follow_up_plan(booking, now=now, follow_up_days=facts.follow_up_days)
        context["follow_up_on"] = format_long_date(plan.on)
        context["slots"] = [
            {"label": s.label, "url": absolute(s.url)} for s in follow_up_slots(booking, plan)
        ]
    return context


def rendered_before(reminder: Reminder, *, now: dt.datetime) -> tuple[str, str, str]:
    """(subject, text, HTML) of one reminder as the dispatcher rendered it before batches:
    the oracle context, the kind's templates, the e-mail's text and HTML wrappers."""
    reminder = Reminder.objects.get(pk=reminder.pk)
    context = context_before(reminder, now=now)
    subject = render_to_string(f"aftercare/reminders/{reminder.kind}_subject.txt", context)
    subject = " ".join(subject.split())[:200]
    body = render_to_string(f"aftercare/reminders/{reminder.kind}_body.txt", context)
    text = "\n".join(line.strip() for line in body.strip().splitlines())
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    offer = reminder.kind in Reminder.OFFER_KINDS
    link = absolute(unsubscribe_url(reminder.client, kind="offers" if offer else "reminders"))
    wrap = {"subject": subject, "body": text, "unsubscribe_url": link, "offer": offer}
    return (
        subject,
        render_to_string("aftercare/email/reminder.txt", wrap),
        html_before().render(wrap),
    )


def html_before() -> Any:
    """The HTML wrapper with Django's own ``urlize``, as it was."""
    source = Path(get_template("aftercare/email/reminder.html").origin.name).read_text()
    assert "|urlize_text|" in source
    return engines["django"].from_string(source.replace("|urlize_text|", "|urlize|"))


def test_the_facts_of_a_batch_are_the_facts_of_each_visit():
    visits = real_mix()
    batch = list(
        Booking.objects.select_related("therapist", "client").filter(pk__in=[v.pk for v in visits])
    )

    many = visit_facts_many(batch)

    assert set(many) == {v.pk for v in visits}
    for visit in batch:
        assert many[visit.pk] == visit_facts(Booking.objects.get(pk=visit.pk)), visit.pk
    # The mix covers what the wording depends on.
    assert {f.first_massage for f in many.values()} == {True, False}
    assert {f.long_gap for f in many.values()} == {True, False}
    assert {f.regular for f in many.values()} == {True, False}
    assert any(f.follow_doctor for f in many.values())
    assert any(f.deep_work and f.areas_from_notes for f in many.values())
    assert any(f.areas and not f.areas_from_notes for f in many.values())


def test_every_e_mail_of_a_batch_says_what_the_reminder_alone_says(monkeypatch):
    # The feedback link's signature carries the second it was made: the same for both.
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: "1xXcXu")
    real_mix()
    now = timezone.now()
    all_due(now)
    reminders = list(Reminder.objects.filter(status=Reminder.Status.PENDING))
    assert {r.kind for r in reminders} == {*Reminder.PLAN_KINDS, Reminder.Kind.VISIT_TOMORROW}
    before = {r.pk: rendered_before(r, now=now) for r in reminders}

    result = delivery.dispatch(["reminders"], now=now)

    sent = {int(m.extra_headers["X-HomeKnots-Reminder"]): m for m in mail.outbox}
    assert result.sent == len(sent) == len(reminders) - result.skipped
    assert result.skipped == 3  # the follow-ups of the client who booked again
    for pk, message in sent.items():
        subject, text, html = before[pk]
        assert message.subject == subject
        assert message.body == text
        assert message.alternatives[0][0] == html
        assert message.alternatives[0][1] == "text/html"
    # Each kind really was in the batch and said something of its own.
    by_kind = {Reminder.objects.get(pk=pk).kind: m.subject for pk, m in sent.items()}
    assert set(by_kind) == {*Reminder.PLAN_KINDS, Reminder.Kind.VISIT_TOMORROW}
    assert len(set(by_kind.values())) == len(by_kind)
    stored = Reminder.objects.get(pk=next(iter(sent)))
    assert (stored.subject, stored.status) == (before[stored.pk][0], Reminder.Status.SENT)


@pytest.mark.parametrize("visits_per_client", [1, 3])
def test_a_batch_of_the_real_mix_costs_a_few_queries_per_reminder(
    visits_per_client, django_assert_max_num_queries
):
    real_mix(visits_per_client)
    now = timezone.now()
    all_due(now)
    count = Reminder.objects.filter(status=Reminder.Status.PENDING).count()
    assert count == 5 * 4 * visits_per_client + 1  # and one day-before reminder

    with django_assert_max_num_queries(QUERIES_PER_REMINDER * count) as captured:
        result = delivery.dispatch(["reminders"], now=now)

    assert result.sent + result.skipped == count
    # Beyond one mark per e-mail and one calendar read per follow-up's free times, the
    # batch's reads do not grow with its size: the facts are loaded for the whole batch.
    per_row = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('UPDATE "aftercare_reminder"') and '"sent_at"' in q["sql"]
    ]
    assert len(per_row) == result.sent
    follow_ups = Reminder.objects.filter(
        kind=Reminder.Kind.FOLLOW_UP, status=Reminder.Status.SENT
    ).count()
    rest = [q["sql"] for q in captured.captured_queries if q["sql"] not in per_row]
    batches = -(-count // delivery.BATCH)
    # Per batch: recover, claim, the rows, the facts (four), "booked again?", the skips.
    assert len(rest) - follow_ups <= 12 * batches + 6, rest


def test_a_skipped_batch_is_marked_in_one_update_per_outcome():
    real_mix(1)
    now = timezone.now()
    all_due(now)
    Reminder.objects.update(stale_after=now - dt.timedelta(minutes=1))
    count = Reminder.objects.count()

    with CaptureQueriesContext(connection) as captured:
        result = delivery.dispatch(["reminders"], now=now)

    assert result.skipped == count and not mail.outbox
    assert set(Reminder.objects.values_list("status", "skip_reason", "claim_token")) == {
        (Reminder.Status.SKIPPED, Reminder.SkipReason.STALE, "")
    }
    skip_marks = [
        q
        for q in captured.captured_queries
        if q["sql"].startswith("UPDATE") and '"skip_reason"' in q["sql"]
    ]
    assert len(skip_marks) == 1
