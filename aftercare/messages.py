"""What a reminder says: the facts about a visit that personalise it, and the rendering of each
kind's subject and text from ``templates/aftercare/reminders/``. Every sentence there traces
back to a line of docs/care-rules.md (docs/aftercare.md lists them)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.selectors import (
    FollowUpDay,
    follow_up_day,
    visit_histories,
    visit_history,
)
from booking.wording import PREPARE_AT_HOME
from clients.body import region_label
from clients.care_flags import VisitHistory, follow_doctor, soreness_stage
from clients.models import ClientProfile, Intake
from clients.selectors import intake_current
from core.links import absolute, fixed_path
from core.timefmt import SLOT_FORMAT, TIME_FORMAT, format_long_date, with_zone
from core.timefmt import local_label as timefmt_label
from core.zones import zone_for

from . import tokens
from .models import FOLLOW_UP_DEFAULT_DAYS, Reminder, SessionNote

# From this pressure (1–10) on, the notes count as deeper therapeutic work
# (docs/care-rules.md: "Deeper therapeutic work is more likely to cause soreness").
DEEP_PRESSURE = 7


def client_tz(client: ClientProfile) -> zoneinfo.ZoneInfo:
    zone = zone_for(client)
    assert isinstance(zone, zoneinfo.ZoneInfo)  # zone_for gives a profile a named zone
    return zone


def local_label(moment: dt.datetime, tz: dt.tzinfo, fmt: str = SLOT_FORMAT) -> str:
    """A time as the client reads it, with the zone named in words:
    "Tue, Mar 4, 10:00 AM Eastern Time" (or only "10:00 AM Eastern Time" with TIME_FORMAT)."""
    return with_zone(timefmt_label(moment, tz, fmt), tz)


def join_labels(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


@dataclass(frozen=True)
class VisitFacts:
    """What we know about a completed visit that shapes its aftercare."""

    first_massage: bool = False  # the first massage ever (and none with us)
    long_gap: bool = False  # the last massage was CARE_LONG_GAP_WEEKS or more before
    regular: bool = False  # two or more visits with us in that time: the body adapts
    fibromyalgia: bool = False
    chronic_pain: bool = False
    # A suspected clot, a fever or recent surgery: no cold, heat or stretching advice of ours.
    follow_doctor: bool = False
    awaiting_clearance: bool = False  # the visit still waits for the doctor's clearance
    areas: list[str] = field(default_factory=list)  # region slugs, treated or else reported
    areas_from_notes: bool = False
    follow_up_days: int = FOLLOW_UP_DEFAULT_DAYS
    advice: str = ""
    deep_work: bool = False  # pressure 7+ in the notes: deeper work, more likely to be sore

    @property
    def area_labels(self) -> list[str]:
        return [region_label(slug).lower() for slug in self.areas]


def _intake_for(booking: Booking) -> Intake | None:
    if booking.intake_id:
        return booking.intake
    return intake_current(client=booking.client)


def visit_facts(booking: Booking, *, history: VisitHistory | None = None) -> VisitFacts:
    """The facts of ``booking`` for its messages; ``history`` is the client's visits with us
    before it (read here when not given)."""
    intake = _intake_for(booking)
    if history is None:
        history = visit_history(client=booking.client, before=booking.starts_at, exclude=booking)
    note: SessionNote | None = SessionNote.objects.filter(booking=booking).first()
    return _facts(booking, intake=intake, history=history, note=note)


def visit_facts_many(visits: Iterable[Booking]) -> dict[int, VisitFacts]:
    """:func:`visit_facts` of each visit, by booking id, in four queries whatever their
    number (intakes, their pain areas, the clients' visit histories, the session notes): the
    dispatcher renders a batch of reminders at once. The visits need their therapist loaded."""
    unique = list({v.pk: v for v in visits}.values())
    if not unique:
        return {}
    own = {v.intake_id for v in unique if v.intake_id}
    current_of = {v.client_id for v in unique if not v.intake_id}
    intakes = list(
        Intake.objects.filter(Q(pk__in=own) | Q(client_id__in=current_of)).order_by(
            "client_id", "-version"
        )
    )
    by_pk = {i.pk: i for i in intakes}
    newest: dict[int, Intake] = {}
    for intake in intakes:  # newest version first within a client
        newest.setdefault(intake.client_id, intake)
    chosen = {
        v.pk: by_pk.get(v.intake_id) if v.intake_id else newest.get(v.client_id) for v in unique
    }
    used = list({i.pk: i for i in chosen.values() if i is not None}.values())
    prefetch_related_objects(used, "pain_areas")
    histories = visit_histories(visits=unique)
    notes = {n.booking_id: n for n in SessionNote.objects.filter(booking__in=unique)}
    return {
        v.pk: _facts(v, intake=chosen[v.pk], history=histories[v.pk], note=notes.get(v.pk))
        for v in unique
    }


def _facts(
    booking: Booking, *, intake: Intake | None, history: VisitHistory, note: SessionNote | None
) -> VisitFacts:
    visit_day = timezone.localtime(booking.starts_at, zone_for(booking.therapist)).date()
    stage = soreness_stage(intake=intake, history=history, on=visit_day)
    reasons = set(intake.reasons or []) if intake is not None else set()
    if note is not None and note.treated_areas:
        areas, from_notes = list(note.treated_areas), True
    elif intake is not None:
        areas, from_notes = [a.region for a in intake.pain_areas.all()], False
    else:
        areas, from_notes = [], False
    return VisitFacts(
        first_massage=stage == "first",
        long_gap=stage == "long_gap",
        regular=stage == "regular",
        fibromyalgia=Intake.Reason.FIBROMYALGIA in reasons,
        chronic_pain=Intake.Reason.CHRONIC_PAIN in reasons,
        follow_doctor=follow_doctor(intake=intake),
        awaiting_clearance=booking.status == Booking.Status.AWAITING_CLEARANCE,
        areas=areas,
        areas_from_notes=from_notes,
        follow_up_days=note.follow_up_days if note else FOLLOW_UP_DEFAULT_DAYS,
        advice=note.advice.strip() if note else "",
        deep_work=bool(note and note.pressure_used >= DEEP_PRESSURE),
    )


def book_again_url(
    *, therapist_id: int, service_id: int, starts_at: dt.datetime | None = None
) -> str:
    """The booking flow with therapist and service chosen (and a time, if given)."""
    params: dict[str, Any] = {"therapist": therapist_id, "service": service_id}
    if starts_at is not None:
        params["starts_at"] = starts_at.astimezone(dt.UTC).isoformat()
    return f"{fixed_path('booking:start')}?{urlencode(params)}"


def series_url(*, therapist_id: int, service_id: int) -> str:
    query = urlencode({"therapist": therapist_id, "service": service_id})
    return f"{fixed_path('aftercare:series_new')}?{query}"


def feedback_url(booking: Booking) -> str:
    token = tokens.feedback_token(booking_id=booking.pk, client_id=booking.client_id)
    return reverse("aftercare:feedback_link", kwargs={"pk": booking.pk, "token": token})


def unsubscribe_url(client: ClientProfile, *, kind: str) -> str:
    """One-click unsubscribe from one kind of e-mail ("reminders" or "offers") only."""
    token = tokens.unsubscribe_token(client_id=client.pk, kind=kind)
    return reverse("aftercare:unsubscribe", kwargs={"token": token})


@dataclass(frozen=True)
class SlotLink:
    label: str
    url: str
    starts_at: dt.datetime


def follow_up_plan(booking: Booking, *, now: dt.datetime, follow_up_days: int) -> FollowUpDay:
    """The follow-up ``follow_up_days`` after ``booking`` as it can really happen: the first
    day on or after it that the therapist works, and free times around that day
    (``booking.selectors.follow_up_day``)."""
    ended_on = timezone.localtime(booking.ends_at, booking.therapist.tz).date()
    return follow_up_day(
        therapist=booking.therapist,
        service=booking.service,
        client=booking.client,
        recommended=ended_on + dt.timedelta(days=follow_up_days),
        now=now,
    )


def follow_up_slots(booking: Booking, plan: FollowUpDay) -> list[SlotLink]:
    """The plan's times as links that open the booking flow's review at that time."""
    tz = client_tz(booking.client)
    return [
        SlotLink(
            label=local_label(start, tz),
            url=book_again_url(
                therapist_id=booking.therapist_id, service_id=booking.service_id, starts_at=start
            ),
            starts_at=start,
        )
        for start in plan.slots
    ]


def reminder_context(
    reminder: Reminder, *, now: dt.datetime, for_send: bool, facts: VisitFacts | None = None
) -> dict[str, Any]:
    client = reminder.client
    tz = client_tz(client)
    context: dict[str, Any] = {
        "name": client.user.first_name or client.user.display_name,
        "dashboard_url": absolute(fixed_path("dashboard")),
        "site_name": "HomeKnots",
    }
    booking = reminder.booking
    if booking is None:
        return context
    facts = facts or visit_facts(booking)
    context.update(
        {
            "booking": booking,
            "therapist": booking.therapist.display_name,
            "service": str(booking.service),
            "facts": facts,
            "areas": join_labels(facts.area_labels),
        }
    )
    if reminder.kind == Reminder.Kind.VISIT_TOMORROW:
        # What only the day-before reminder says: when, where, how to get ready. The dates
        # are the costly part of a context, so the aftercare kinds (sent in bulk) skip them.
        context.update(
            {
                "visit_when": local_label(booking.starts_at, tz),
                "visit_day": format_long_date(booking.starts_at, zone=tz),
                "visit_time": local_label(booking.starts_at, tz, TIME_FORMAT),
                "address": booking.address,
                "access_notes": booking.access_notes,
                "prepare": [str(line) for line in PREPARE_AT_HOME],
                "detail_url": absolute(reverse("booking:detail", kwargs={"pk": booking.pk})),
            }
        )
    else:
        context.update(
            {
                "feedback_url": absolute(feedback_url(booking)),
                "book_url": absolute(
                    book_again_url(therapist_id=booking.therapist_id, service_id=booking.service_id)
                ),
                "series_url": absolute(
                    series_url(therapist_id=booking.therapist_id, service_id=booking.service_id)
                ),
            }
        )
    if reminder.kind == Reminder.Kind.FOLLOW_UP and for_send:
        plan = follow_up_plan(booking, now=now, follow_up_days=facts.follow_up_days)
        context["follow_up_on"] = format_long_date(plan.on)
        context["slots"] = [
            {"label": s.label, "url": absolute(s.url)} for s in follow_up_slots(booking, plan)
        ]
    return context


def render_reminder(
    reminder: Reminder,
    *,
    now: dt.datetime,
    for_send: bool = False,
    facts: VisitFacts | None = None,
) -> tuple[str, str]:
    """(subject, text) of a reminder. At plan time (``for_send=False``) the follow-up has no
    free times yet; the dispatcher renders again when it sends, so times and names are fresh.
    ``facts``: the visit's facts when the caller has them already (a plan renders four)."""
    context = reminder_context(reminder, now=now, for_send=for_send, facts=facts)
    subject: str = render_to_string(f"aftercare/reminders/{reminder.kind}_subject.txt", context)
    body = render_to_string(f"aftercare/reminders/{reminder.kind}_body.txt", context)
    subject = " ".join(subject.split())[:200]
    # Templates are indented for reading; e-mail text is not. Keep paragraph breaks only.
    lines = [line.strip() for line in body.strip().splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return subject, text
