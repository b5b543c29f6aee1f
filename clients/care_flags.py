"""Care flags: what the therapist should know before a visit, computed from an intake (and the
booking it is for). One pure function, no writes and no clock except an injectable ``today``.

Every flag's wording traces back to a line of docs/care-rules.md, which lists them side by side.
Keep the two in step when a rule changes.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.body import REGIONS, region_label
from clients.models import Intake, PainArea

INFO = "info"
CAUTION = "caution"
CLEARANCE = "clearance"
LEVELS = (CLEARANCE, CAUTION, INFO)  # most serious first; flags are returned in this order

# Above this, docs/care-rules.md says most people tense against the pain and the work stops helping.
DISCOMFORT_CEILING_NOTE_ABOVE = 7

_REGION_ORDER = {r.slug: i for i, r in enumerate(REGIONS)}


@dataclass(frozen=True)
class CareFlag:
    code: str
    level: str  # "info", "caution" or "clearance"
    title: str
    reason: str

    @property
    def bootstrap_class(self) -> str:
        """The Bootstrap contextual colour templates use for the flag's level."""
        return {CLEARANCE: "danger", CAUTION: "warning", INFO: "info"}[self.level]


def needs_clearance(*, intake: Intake) -> bool:
    """Any screening answer means postponing or a doctor's clearance before treatment."""
    return bool(intake.screening)


def _screening_reason(condition: str) -> str:
    """Per condition: why it needs clearance (docs/care-rules.md "When not to treat")."""
    specific: dict[str, str] = {
        Intake.Screening.FEVER: _("Postpone until the fever or infection has passed."),
        Intake.Screening.SURGERY: _(
            "Recent surgery or injury: get the doctor's clearance and keep away from the site."
        ),
        Intake.Screening.CLOT: _(
            "A suspected blood clot: do not massage until a doctor has ruled it out or cleared it."
        ),
        Intake.Screening.BLOOD_THINNERS: _(
            "Blood thinners bruise easily under firm pressure: get clearance before deep work."
        ),
        Intake.Screening.PREGNANCY: _(
            "Pregnancy: get clearance and plan positioning before the visit."
        ),
        Intake.Screening.SKIN: _(
            "Open wounds or a skin condition: never work on the site; get clearance first."
        ),
    }
    return str(specific.get(condition, _("Postpone or get medical clearance first.")))


def _reference_date(booking: Any | None, today: dt.date | None) -> dt.date:
    """The day the visit happens, in the therapist's zone when we know it; else today."""
    if booking is not None and getattr(booking, "starts_at", None) is not None:
        tz_name = getattr(getattr(booking, "therapist", None), "time_zone", None)
        try:
            tz = zoneinfo.ZoneInfo(tz_name) if tz_name else timezone.get_current_timezone()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = timezone.get_current_timezone()
        return timezone.localtime(booking.starts_at, tz).date()
    return today or timezone.localdate()


def _sorted_areas(intake: Intake) -> list[PainArea]:
    return sorted(intake.pain_areas.all(), key=lambda a: _REGION_ORDER.get(a.region, 999))


def care_flags(
    *, intake: Intake, booking: Any | None = None, today: dt.date | None = None
) -> list[CareFlag]:
    """The flags for one intake, most serious first.

    ``booking`` (optional) sets the reference date for the "long gap" rule to the visit's day;
    without it ``today`` (default: today in the current zone) is used.
    """
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
            )
        )

    # --- First massage, or a long gap since the last one
    # (docs/care-rules.md "First massage, or a long gap").
    soreness = _(
        "Soreness is most likely after a first massage or a long gap. Start lighter and go "
        "deeper gradually; tell the client that 2–3 days of soreness is normal."
    )
    if intake.never_had_massage:
        flags.append(
            CareFlag(
                code="first_massage",
                level=CAUTION,
                title=_("First massage: start lighter"),
                reason=soreness,
            )
        )
    elif intake.last_massage_on is not None:
        weeks = int(getattr(settings, "CARE_LONG_GAP_WEEKS", 6))
        gap = _reference_date(booking, today) - intake.last_massage_on
        if gap >= dt.timedelta(weeks=weeks):
            flags.append(
                CareFlag(
                    code="long_gap",
                    level=CAUTION,
                    title=_("%(weeks)s+ weeks since the last massage: start lighter")
                    % {"weeks": weeks},
                    reason=_("When massages are far apart each one is like a first massage again. ")
                    + soreness,
                )
            )

    reasons = set(intake.reasons or [])
    # --- Fibromyalgia (docs/care-rules.md "Pressure").
    if Intake.Reason.FIBROMYALGIA in reasons:
        flags.append(
            CareFlag(
                code="fibromyalgia",
                level=CAUTION,
                title=_("Fibromyalgia or chronic pain: gentle, light pressure"),
                reason=_("People with fibromyalgia usually do best with gentle, light pressure."),
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
            )
        )

    return sorted(flags, key=lambda f: LEVELS.index(f.level))
