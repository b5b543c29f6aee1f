"""Every message kind, for every kind of client: the doctor threshold wherever soreness is
discussed, the right pressure advice, no first-timer wording for a regular, and no cold, heat or
stretching advice after a suspected clot (docs/care-rules.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare import services
from aftercare.models import Reminder
from booking.models import Booking
from clients.care_flags import care_flags
from clients.models import Intake
from core.care import DOCTOR_THRESHOLD, DOCTOR_THRESHOLD_FOR_THERAPIST
from tests import factories
from tests.aftercare.factories import delivered, past_visit

pytestmark = pytest.mark.django_db

THRESHOLD = str(DOCTOR_THRESHOLD)
THRESHOLD_THERAPIST = str(DOCTOR_THRESHOLD_FOR_THERAPIST)


def _client(**intake) -> tuple[object, Intake]:
    client = factories.ClientProfileFactory()
    return client, factories.IntakeFactory(client=client, **intake)


def first_timer():
    return _client(never_had_massage=True, last_massage_on=None)


def regular():
    """Three visits in six weeks: two completed before this one."""
    client, intake = _client()
    for weeks_ago in (4, 2):
        past_visit(client=client, intake=intake, hours_ago=24 * 7 * weeks_ago)
    return client, intake


def long_gap():
    return _client(last_massage_on=timezone.localdate() - dt.timedelta(weeks=20))


def fibromyalgia():
    return _client(reasons=[Intake.Reason.FIBROMYALGIA])


def chronic_pain():
    return _client(reasons=[Intake.Reason.CHRONIC_PAIN])


def anxiety():
    return _client(reasons=[Intake.Reason.STRESS])


def suspected_clot():
    return _client(screening=[Intake.Screening.CLOT])


def blood_thinners():
    return _client(screening=[Intake.Screening.BLOOD_THINNERS])


def pregnancy():
    return _client(screening=[Intake.Screening.PREGNANCY])


CLIENTS: dict[str, Callable[[], tuple[object, Intake]]] = {
    "first-timer": first_timer,
    "regular": regular,
    "long gap": long_gap,
    "fibromyalgia": fibromyalgia,
    "other chronic pain": chronic_pain,
    "anxiety": anxiety,
    "suspected clot": suspected_clot,
    "blood thinners": blood_thinners,
    "pregnancy": pregnancy,
}


def _messages(client, intake) -> dict[str, str]:
    """Every e-mail the client receives around a completed visit, as delivered."""
    booking = past_visit(client=client, intake=intake, hours_ago=3)
    booking.access_notes = "Side door."
    booking.save()
    plan = {r.kind: r for r in services.aftercare_plan_create(booking=booking)}
    bodies = {kind: delivered(reminder).body for kind, reminder in plan.items()}
    # The next visit, booked afterwards: its day-before reminder.
    upcoming = factories.BookingFactory(
        client=client, service=booking.service, intake=intake, status=Booking.Status.CONFIRMED
    )
    tomorrow = services.visit_tomorrow_schedule(booking=upcoming)
    assert tomorrow is not None
    bodies[Reminder.Kind.VISIT_TOMORROW] = delivered(tomorrow).body
    return bodies


@pytest.mark.parametrize("who", list(CLIENTS))
def test_every_message_that_speaks_of_soreness_carries_the_doctor_threshold(who):
    client, intake = CLIENTS[who]()
    for kind, body in _messages(client, intake).items():
        if "sore" in body.lower():
            assert THRESHOLD in body, f"{kind} for a {who} speaks of soreness without it"
    for flag in care_flags(intake=intake):
        if "sore" in flag.reason.lower():
            assert THRESHOLD_THERAPIST in flag.reason, flag.code
        if "sore" in flag.for_client.lower():
            assert THRESHOLD in flag.for_client, flag.code


def test_a_first_timer_is_told_soreness_is_more_likely():
    messages = _messages(*first_timer())
    assert "more likely after a first massage" in messages[Reminder.Kind.WATER]
    assert "most likely after a first massage" in messages[Reminder.Kind.NEXT_DAY]


def test_a_regular_is_never_told_it_is_their_first_massage_and_hears_the_body_adapts():
    client, intake = regular()
    messages = _messages(client, intake)
    for kind, body in messages.items():
        assert "first massage" not in body, kind
    assert "your body adapts" in messages[Reminder.Kind.NEXT_DAY]
    booking = Booking.objects.filter(client=client).order_by("-starts_at").first()
    from booking.selectors import visit_history

    history = visit_history(client=client, before=booking.starts_at)
    flags = {f.code for f in care_flags(intake=intake, booking=booking, history=history)}
    assert "first_massage" not in flags and "long_gap" not in flags


def test_a_regular_whose_intake_still_says_never_is_not_told_it_is_their_first():
    """The intake is only the fallback: our own history of completed visits wins."""
    client, intake = _client(never_had_massage=True, last_massage_on=None)
    for weeks_ago in (4, 2):
        past_visit(client=client, intake=intake, hours_ago=24 * 7 * weeks_ago)
    messages = _messages(client, intake)
    assert all("first massage" not in body for body in messages.values())


def test_after_a_long_gap_each_massage_is_like_a_first_again():
    messages = _messages(*long_gap())
    assert "like a first massage again" in messages[Reminder.Kind.NEXT_DAY]
    assert "long gap" in messages[Reminder.Kind.WATER]


def test_pressure_advice_fits_fibromyalgia_and_other_chronic_pain_apart():
    fibro = _messages(*fibromyalgia())[Reminder.Kind.NEXT_DAY]
    chronic = _messages(*chronic_pain())[Reminder.Kind.NEXT_DAY]
    assert "With fibromyalgia, gentle, light pressure usually works best" in fibro
    assert "fibromyalgia" not in chronic.lower()
    assert "You direct the pressure" in chronic
    _, intake = chronic_pain()
    assert {f.code for f in care_flags(intake=intake)} >= {"chronic_pain"}
    assert "fibromyalgia" not in {f.code for f in care_flags(intake=intake)}


def test_anxiety_asks_for_a_relaxation_focused_session():
    _, intake = anxiety()
    (flag,) = [f for f in care_flags(intake=intake) if f.code == "relaxation"]
    assert "relaxation-focused" in flag.reason
    assert "relaxing session" in flag.for_client


def test_after_a_suspected_clot_aftercare_never_suggests_cold_heat_or_stretching():
    next_day = _messages(*suspected_clot())[Reminder.Kind.NEXT_DAY]
    assert "Cold packs" not in next_day
    assert "Heat eases" not in next_day
    assert "stretching helps" not in next_day.lower()
    assert "follow your doctor's advice" in next_day


@pytest.mark.parametrize(
    ("who", "words"),
    [
        (
            "blood thinners",
            "Blood-thinning medication: get the doctor's clearance before the visit",
        ),
        ("pregnancy", "Pregnancy: get the doctor's clearance before the visit"),
        ("suspected clot", "do not massage until a doctor has ruled it out or cleared it"),
    ],
)
def test_screening_answers_ask_for_clearance_in_care_rules_words(who, words):
    _, intake = CLIENTS[who]()
    reasons = " ".join(f.reason for f in care_flags(intake=intake) if f.level == "clearance")
    assert words in reasons


def test_next_day_messages_do_not_say_today():
    for who in ("first-timer", "regular", "fibromyalgia"):
        body = _messages(*CLIENTS[who]())[Reminder.Kind.NEXT_DAY]
        assert "today" not in body.lower(), who


def test_the_feedback_saved_page_and_the_landing_page_carry_the_threshold(client):
    booking = past_visit()
    client.force_login(booking.client.user)
    url = reverse("aftercare:feedback", kwargs={"pk": booking.pk})
    client.post(url, {"soreness": "4", "pressure": "right", "rating": "5"})
    page = client.get(f"{url}?saved=1").content.decode()
    assert 'data-testid="doctor-threshold"' in page
    assert "about 5 days at most" in page
    assert "about 5 days at most" in client.get("/").content.decode()
