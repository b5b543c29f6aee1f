from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clients.care_flags import CareFlag, care_flags
from clients.models import Intake
from tests.factories import BookingFactory, IntakeFactory, PainAreaFactory

TODAY = dt.date(2026, 3, 1)


def codes(flags: list[CareFlag]) -> list[str]:
    return [f.code for f in flags]


def by_code(flags: list[CareFlag], code: str) -> CareFlag:
    return next(f for f in flags if f.code == code)


@pytest.fixture
def plain_intake(db):
    """An intake that raises no flag at all."""
    return IntakeFactory(
        reasons=[Intake.Reason.BACK_NECK],
        discomfort_ceiling=7,
        last_massage_on=TODAY - dt.timedelta(days=14),
        never_had_massage=False,
        screening=[],
    )


def test_it_raises_no_flag_for_a_regular_client_without_risks(plain_intake):
    assert care_flags(intake=plain_intake, today=TODAY) == []


def test_it_flags_a_first_massage_with_the_soreness_warning(db):
    intake = IntakeFactory(never_had_massage=True, last_massage_on=None)
    flag = by_code(care_flags(intake=intake, today=TODAY), "first_massage")
    assert flag.level == "caution"
    assert "start lighter" in flag.title
    assert "2–3 days of soreness is normal" in flag.reason


@pytest.mark.parametrize(
    ("days_since", "flagged"),
    [(41, False), (42, True), (43, True)],
    ids=["a day short of six weeks", "exactly six weeks", "a day past six weeks"],
)
def test_it_flags_a_long_gap_from_exactly_six_weeks(db, days_since, flagged):
    intake = IntakeFactory(last_massage_on=TODAY - dt.timedelta(days=days_since))
    assert ("long_gap" in codes(care_flags(intake=intake, today=TODAY))) is flagged


def test_it_reads_the_long_gap_threshold_from_settings(db, settings):
    settings.CARE_LONG_GAP_WEEKS = 4
    intake = IntakeFactory(last_massage_on=TODAY - dt.timedelta(days=28))
    flag = by_code(care_flags(intake=intake, today=TODAY), "long_gap")
    assert flag.title.startswith("4+ weeks")
    assert "2–3 days of soreness is normal" in flag.reason
    intake.last_massage_on = TODAY - dt.timedelta(days=27)
    assert "long_gap" not in codes(care_flags(intake=intake, today=TODAY))


def test_it_measures_the_gap_to_the_visit_day_not_to_today(db):
    visit = timezone.make_aware(dt.datetime(2026, 3, 10, 15, 0), timezone=dt.UTC)
    booking = BookingFactory(starts_at=visit, ends_at=visit + dt.timedelta(hours=1))
    intake = IntakeFactory(client=booking.client, last_massage_on=dt.date(2026, 1, 27))
    # 32 days before today's date, but 42 days before the visit on 10 March.
    assert "long_gap" not in codes(care_flags(intake=intake, today=dt.date(2026, 2, 28)))
    assert "long_gap" in codes(care_flags(intake=intake, booking=booking, today=TODAY))


def test_it_takes_the_visit_day_in_the_therapists_time_zone(db):
    # 03:00 UTC on 10 March is still the evening of 9 March in New York.
    visit = timezone.make_aware(dt.datetime(2026, 3, 10, 3, 0), timezone=dt.UTC)
    booking = BookingFactory(starts_at=visit, ends_at=visit + dt.timedelta(hours=1))
    assert booking.therapist.time_zone == "America/New_York"
    intake = IntakeFactory(client=booking.client, last_massage_on=dt.date(2026, 1, 27))
    assert "long_gap" not in codes(care_flags(intake=intake, booking=booking))
    intake.last_massage_on = dt.date(2026, 1, 26)
    assert "long_gap" in codes(care_flags(intake=intake, booking=booking))


def test_it_asks_for_gentle_light_pressure_with_fibromyalgia(db):
    intake = IntakeFactory(reasons=[Intake.Reason.FIBROMYALGIA])
    flag = by_code(care_flags(intake=intake, today=TODAY), "fibromyalgia")
    assert flag.level == "caution"
    assert "gentle, light pressure" in flag.title
    assert flag.reason == "People with fibromyalgia usually do best with gentle, light pressure."


def test_it_asks_for_a_relaxation_session_when_stress_brings_them(db):
    intake = IntakeFactory(reasons=[Intake.Reason.STRESS, Intake.Reason.BACK_NECK])
    flag = by_code(care_flags(intake=intake, today=TODAY), "relaxation")
    assert "relaxation-focused" in flag.title
    assert "not a corrective or very firm one" in flag.reason


@pytest.mark.parametrize(("ceiling", "flagged"), [(7, False), (8, True), (10, True)])
def test_it_notes_a_discomfort_ceiling_above_seven(db, ceiling, flagged):
    intake = IntakeFactory(discomfort_ceiling=ceiling)
    flags = care_flags(intake=intake, today=TODAY)
    assert ("high_ceiling" in codes(flags)) is flagged
    if flagged:
        flag = by_code(flags, "high_ceiling")
        assert flag.level == "info"
        assert f"{ceiling}/10" in flag.title
        assert "About 7 is the ceiling" in flag.reason


@pytest.mark.parametrize("condition", Intake.Screening.values)
def test_it_needs_clearance_for_every_screening_condition_and_names_it(db, condition):
    intake = IntakeFactory(screening=[condition])
    flag = by_code(care_flags(intake=intake, today=TODAY), f"clearance_{condition}")
    assert flag.level == "clearance"
    assert flag.title == f"Needs clearance: {Intake.Screening(condition).label}"
    assert flag.reason


def test_it_puts_clearance_flags_first(db):
    intake = IntakeFactory(
        never_had_massage=True,
        last_massage_on=None,
        discomfort_ceiling=9,
        screening=[Intake.Screening.PREGNANCY, Intake.Screening.FEVER],
    )
    levels = [f.level for f in care_flags(intake=intake, today=TODAY)]
    assert levels == ["clearance", "clearance", "caution", "info"]


def test_it_shows_where_each_areas_pain_travels(db):
    intake = IntakeFactory()
    PainAreaFactory(intake=intake, region="upper-back-right", refers_to=["arm-right"])
    PainAreaFactory(intake=intake, region="neck-back", intensity=5, refers_to=["head"])
    PainAreaFactory(intake=intake, region="lower-back", intensity=4, refers_to=[])
    flag = by_code(care_flags(intake=intake, today=TODAY), "referred_pain")
    assert flag.level == "info"
    assert "Upper back (right) → Upper arm (right)" in flag.title
    assert "Back of the neck → Head and temples" in flag.title
    assert "Lower back" not in flag.title
    assert "check the source area" in flag.reason


def test_it_raises_no_referred_pain_flag_when_pain_stays_put(db):
    intake = IntakeFactory()
    PainAreaFactory(intake=intake, refers_to=[])
    assert "referred_pain" not in codes(care_flags(intake=intake, today=TODAY))


def test_it_returns_frozen_flags(db):
    flag = care_flags(intake=IntakeFactory(discomfort_ceiling=9), today=TODAY)[0]
    with pytest.raises(AttributeError):
        flag.level = "info"  # type: ignore[misc]
