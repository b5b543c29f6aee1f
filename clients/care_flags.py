"""Care flags: what the therapist should know before a visit, computed from an intake, the
client's history of visits with us, and the booking it is for. One pure function, no writes
and no clock except an injectable ``today``.

Each flag has two voices: ``reason`` speaks to the therapist ("start lighter…"), ``for_client``
to the client ("soreness is more likely after…"); client pages show only the second. Every
sentence traces back to a line of docs/care-rules.md, which lists them side by side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.body import REGIONS, region_label
from clients.models import Intake, PainArea
from core.care import DOCTOR_THRESHOLD, DOCTOR_THRESHOLD_FOR_THERAPIST
from core.zones import zone_for

INFO = "info"
CAUTION = "caution"
CLEARANCE = "clearance"
LEVELS = (CLEARANCE, CAUTION, INFO)  # most serious first; flags are returned in this order

# Above this, docs/care-rules.md says most people tense against the pain and the work stops
# helping.
DISCOMFORT_CEILING_NOTE_ABOVE = 7

# Conditions after which aftercare never suggests cold, heat or stretching on its own: the
# client follows their doctor's advice (docs/care-rules.md, "When not to treat").
FOLLOW_DOCTOR_CONDITIONS = (
    Intake.Screening.CLOT,
    Intake.Screening.FEVER,
    Intake.Screening.SURGERY,
)

_REGION_ORDER = {r.slug: i for i, r in enumerate(REGIONS)}


@dataclass(frozen=True)
class CareFlag:
    code: str
    level: str  # "info", "caution" or "clearance"
    title: str
    reason: str  # for the therapist
    for_client: str = ""  # for the client; empty when the flag is for the therapist only

    @property
    def bootstrap_class(self) -> str:
        """The Bootstrap contextual colour templates use for the flag's level."""
        return {CLEARANCE: "danger", CAUTION: "warning", INFO: "info"}[self.level]


@dataclass(frozen=True)
class VisitHistory:
    """The client's visits with us before the one in question (``booking.selectors``)."""

    completed: int = 0
    last_completed_on: dt.date | None = None
    # Completed visits in the last ``CARE_LONG_GAP_WEEKS``: two or more make a regular.
    recent: int = 0

    @property
    def regular(self) -> bool:
        return self.recent >= 2


NO_HISTORY = VisitHistory()


def needs_clearance(*, intake: Intake) -> bool:
    """Any screening answer means postponing or a doctor's clearance before treatment."""
    return bool(intake.screening)


def follow_doctor(*, intake: Intake | None) -> bool:
    """A suspected clot, a fever or recent surgery: aftercare defers to the doctor."""
    return bool(intake and set(intake.screening or []) & set(FOLLOW_DOCTOR_CONDITIONS))


def _screening_reason(condition: str) -> str:
    """Per condition: why it needs clearance (docs/care-rules.md "When not to treat")."""
    specific: dict[str, str] = {
        Intake.Screening.FEVER: _(
            "Fever or infection: postpone until it has passed, or get the doctor's clearance."
        ),
        Intake.Screening.SURGERY: _(
            "Recent surgery or injury: get the doctor's clearance first, and keep away from the "
            "site."
        ),
        Intake.Screening.CLOT: _(
            "A suspected blood clot: do not massage until a doctor has ruled it out or cleared it."
        ),
        Intake.Screening.BLOOD_THINNERS: _(
            "Blood-thinning medication: get the doctor's clearance before the visit."
        ),
        Intake.Screening.PREGNANCY: _(
            "Pregnancy: get the doctor's clearance before the visit, and plan positioning."
        ),
        Intake.Screening.SKIN: _(
            "Open wounds or a skin condition: never work on the site; get clearance first."
        ),
    }
    return str(specific.get(condition, _("Postpone or get medical clearance first.")))


def _reference_date(booking: Any | None, today: dt.date | None) -> dt.date:
    """The day the visit happens, in the therapist's zone when we know it; else today."""
    if booking is not None and getattr(booking, "starts_at", None) is not None:
        tz = zone_for(getattr(booking, "therapist", None))
        return timezone.localtime(booking.starts_at, tz).date()
    return today or timezone.localdate()


def _sorted_areas(intake: Intake) -> list[PainArea]:
    return sorted(intake.pain_areas.all(), key=lambda a: _REGION_ORDER.get(a.region, 999))


def soreness_stage(*, intake: Intake | None, history: VisitHistory, on: dt.date) -> str:
    """ "first" (first massage ever, and none with us), "long_gap" (the last massage, with us or
    elsewhere, is ``CARE_LONG_GAP_WEEKS`` or more before ``on``), "regular" (two or more visits
    with us in that time), or "" (nothing special). Our own history wins over the intake's
    answers, which are only the fallback for a client we have not seen yet."""
    weeks = int(settings.CARE_LONG_GAP_WEEKS)
    known = [history.last_completed_on, intake.last_massage_on if intake else None]
    dates = [d for d in known if d is not None]
    last = max(dates) if dates else None
    if history.completed == 0 and intake is not None and intake.never_had_massage:
        return "first"
    if last is not None and on - last >= dt.timedelta(weeks=weeks):
        return "long_gap"
    if history.regular:
        return "regular"
    return ""


def care_flags(
    *,
    intake: Intake,
    booking: Any | None = None,
    today: dt.date | None = None,
    history: VisitHistory | None = None,
) -> list[CareFlag]:
    """The flags for one intake, most serious first.

    ``booking`` (optional) sets the reference date for the gap rules to the visit's day;
    without it ``today`` (default: today in the current zone) is used. ``history`` is the
    client's visits with us before that day (``booking.selectors.visit_history``); without it
    only the intake's answers are known.
    """
    history = history or NO_HISTORY
    flags: list[CareFlag] = []

    # --- Screening: any condition means postpone or get clearance
    # (docs/care-rules.md "When not to treat").
    labels = dict(Intake.Screening.choices)
    for condition in intake.screening or []:
        flags.append(
            CareFlag(
                code=f"clearance_{condition}",
                level=CLEARANCE,
                title=_("Needs clearance: %(condition)s")
                % {"condition": labels.get(condition, condition)},
                reason=_screening_reason(condition),
                for_client=_(
                    "%(condition)s: please get your doctor's clearance before the visit, and "
                    "tell your therapist."
                )
                % {"condition": labels.get(condition, condition)},
            )
        )

    # --- First massage, or a long gap since the last one
    # (docs/care-rules.md "First massage, or a long gap").
    stage = soreness_stage(intake=intake, history=history, on=_reference_date(booking, today))
    for_therapist = (
        _(
            "Start lighter and go deeper gradually; tell the client that 2–3 days of soreness "
            "is normal."
        )
        + " "
        + str(DOCTOR_THRESHOLD_FOR_THERAPIST)
    )
    if stage == "first":
        flags.append(
            CareFlag(
                code="first_massage",
                level=CAUTION,
                title=_("First massage: start lighter"),
                reason=_("Soreness is most likely after a first massage. ") + for_therapist,
                for_client=_(
                    "This is your first massage: some soreness afterwards is more likely, and "
                    "normal. "
                )
                + str(DOCTOR_THRESHOLD),
            )
        )
    elif stage == "long_gap":
        weeks = int(settings.CARE_LONG_GAP_WEEKS)
        flags.append(
            CareFlag(
                code="long_gap",
                level=CAUTION,
                title=_("%(weeks)s+ weeks since the last massage: start lighter")
                % {"weeks": weeks},
                reason=_("When massages are far apart each one is like a first massage again. ")
                + for_therapist,
                for_client=_(
                    "It has been a while since your last massage, so some soreness afterwards "
                    "is more likely, and normal. "
                )
                + str(DOCTOR_THRESHOLD),
            )
        )

    reasons = set(intake.reasons or [])
    # --- Fibromyalgia, other chronic pain (docs/care-rules.md "Pressure").
    if Intake.Reason.FIBROMYALGIA in reasons:
        flags.append(
            CareFlag(
                code="fibromyalgia",
                level=CAUTION,
                title=_("Fibromyalgia: gentle, light pressure"),
                reason=_("People with fibromyalgia usually do best with gentle, light pressure."),
                for_client=_("With fibromyalgia, gentle, light pressure usually works best."),
            )
        )
    if Intake.Reason.CHRONIC_PAIN in reasons:
        flags.append(
            CareFlag(
                code="chronic_pain",
                level=CAUTION,
                title=_("Chronic pain: let the client direct the pressure"),
                reason=_(
                    "Ask about pressure before and during the session, warm up with gentler "
                    "work first and go deeper only gradually, and lighten up when told."
                ),
                for_client=_(
                    "You direct the pressure: say how it feels before and during the session, "
                    "and ask for lighter at any time."
                ),
            )
        )
    # --- Stress or anxiety (docs/care-rules.md "Pressure").
    if Intake.Reason.STRESS in reasons:
        flags.append(
            CareFlag(
                code="relaxation",
                level=CAUTION,
                title=_("Stress or anxiety: a relaxation-focused session"),
                reason=_(
                    "People with anxiety do best with a relaxation-focused session, not a "
                    "corrective or very firm one."
                ),
                for_client=_(
                    "With stress or anxiety, a relaxing session usually does more good than a "
                    "very firm one."
                ),
            )
        )

    # --- Discomfort ceiling above 7 (docs/care-rules.md "Pressure").
    if intake.discomfort_ceiling > DISCOMFORT_CEILING_NOTE_ABOVE:
        flags.append(
            CareFlag(
                code="high_ceiling",
                level=INFO,
                title=_("Accepts discomfort up to %(n)s/10") % {"n": intake.discomfort_ceiling},
                reason=_(
                    "About 7 is the ceiling for most people: beyond it the client tenses against "
                    "the pain and the work stops helping. Check in often and lighten up when told."
                ),
                for_client=_(
                    "You accept discomfort up to %(n)s/10. About 7 is the ceiling for most "
                    "people: beyond it muscles tense against the pain. Say so when it gets there."
                )
                % {"n": intake.discomfort_ceiling},
            )
        )

    # --- Balance and positioning (docs/care-rules.md "Balance and positioning").
    if intake.front_of_body:
        flags.append(
            CareFlag(
                code="front_of_body",
                level=INFO,
                title=_("Asked for the front of the body too"),
                reason=_(
                    "Work the chest, front of the neck and arms as well as the back: tight "
                    "muscles at the front often cause back and neck complaints."
                ),
                for_client=_("You asked for the front of your body to be worked too."),
            )
        )
    if intake.side_lying:
        flags.append(
            CareFlag(
                code="side_lying",
                level=INFO,
                title=_("Prefers side-lying to long face-down time"),
                reason=_(
                    "Offer side-lying positions: long face-down time can stiffen the lower back."
                ),
                for_client=_("You asked to lie on your side rather than face down for long."),
            )
        )

    # --- Referred pain (docs/care-rules.md "What a trigger point is").
    travels = [
        _("%(area)s → %(targets)s")
        % {
            "area": region_label(area.region),
            "targets": ", ".join(region_label(t) for t in area.refers_to),
        }
        for area in _sorted_areas(intake)
        if area.refers_to
    ]
    if travels:
        flags.append(
            CareFlag(
                code="referred_pain",
                level=INFO,
                title=_("Pain travels: %(list)s") % {"list": "; ".join(travels)},
                reason=_(
                    "A knot often refers pain elsewhere, so check the source area as well as "
                    "where it hurts."
                ),
                for_client=_(
                    "A knot often sends pain elsewhere, so your therapist checks where it starts "
                    "as well as where it hurts."
                ),
            )
        )

    return sorted(flags, key=lambda f: LEVELS.index(f.level))
