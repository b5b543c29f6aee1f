"""Reads for the clients app: profiles, intake versions, who may see an intake, what changed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.body import REGIONS, region_label
from clients.models import ClientProfile, Intake, PainArea

# A therapist sees a client's intake from a week before a visit until a month after it.
VISIBLE_BEFORE_VISIT = dt.timedelta(days=7)
VISIBLE_AFTER_VISIT = dt.timedelta(days=30)
# The dashboard asks the client to review an intake older than about six months.
INTAKE_REVIEW_AFTER = dt.timedelta(days=182)

_REGION_ORDER = {r.slug: i for i, r in enumerate(REGIONS)}


def client_profile_for(*, user: Any) -> ClientProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.client_profile
    except ClientProfile.DoesNotExist:
        return None


def intake_current(*, client: ClientProfile) -> Intake | None:
    """The newest version of the client's intake, or None if they have not filled one in."""
    return client.intakes.order_by("-version").prefetch_related("pain_areas").first()


def intake_history(*, client: ClientProfile) -> QuerySet[Intake]:
    """Every version of the client's intake, newest first."""
    return client.intakes.order_by("-version")


def intake_previous(*, intake: Intake) -> Intake | None:
    """The version saved just before ``intake``, or None for the first one."""
    return (
        Intake.objects.filter(client_id=intake.client_id, version__lt=intake.version)
        .order_by("-version")
        .prefetch_related("pain_areas")
        .first()
    )


def pain_areas_sorted(*, intake: Intake) -> list[PainArea]:
    """Pain areas in body order (head to feet, front then back), not alphabetical."""
    return sorted(intake.pain_areas.all(), key=lambda a: _REGION_ORDER.get(a.region, 999))


def intake_visible_to(*, intake: Intake, user: Any, now: dt.datetime | None = None) -> bool:
    """Who may read an intake: the client themself; staff; and a therapist who has a visit with
    this client (not cancelled or declined) starting between 30 days ago and 7 days ahead, that
    is from a week before the visit until a month after it."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    profile = intake.client
    if profile.user_id == user.pk:
        return True
    if user.is_staff:
        return True
    if not getattr(user, "is_therapist", False):
        return False
    from booking.models import Booking

    now = now or timezone.now()
    return (
        Booking.objects.filter(
            client_id=intake.client_id,
            therapist__user_id=user.pk,
            starts_at__gte=now - VISIBLE_AFTER_VISIT,
            starts_at__lte=now + VISIBLE_BEFORE_VISIT,
        )
        .exclude(status__in=[Booking.Status.CANCELLED, Booking.Status.DECLINED])
        .exists()
    )


@dataclass(frozen=True)
class IntakeChange:
    """One difference between two intake versions, as text ready to show."""

    field: str
    label: str
    before: str
    after: str


def _choice_list(values: list[str], choices: Any) -> str:
    labels = dict(choices)
    return ", ".join(str(labels.get(v, v)) for v in values) or _("none")


def _last_massage(intake: Intake) -> str:
    if intake.never_had_massage:
        return _("never")
    if intake.last_massage_on:
        return intake.last_massage_on.isoformat()
    return _("not given")


def _area_text(area: PainArea | None) -> str:
    if area is None:
        return _("not marked")
    text = _("%(n)s/10") % {"n": area.intensity}
    if area.refers_to:
        text += " " + _("(travels to %(list)s)") % {
            "list": ", ".join(region_label(t) for t in area.refers_to)
        }
    return text


def intake_changes(old: Intake | None, new: Intake) -> list[IntakeChange]:
    """What changed from ``old`` to ``new``, field by field and pain area by pain area.
    Empty when ``old`` is None (a first intake has nothing to compare with)."""
    if old is None:
        return []
    changes: list[IntakeChange] = []

    def add(field: str, label: str, before: str, after: str) -> None:
        if before != after:
            changes.append(IntakeChange(field, label, before, after))

    add(
        "reasons",
        _("What brings you"),
        _choice_list(old.reasons, Intake.Reason.choices),
        _choice_list(new.reasons, Intake.Reason.choices),
    )
    add("goals", _("Goals"), old.goals or _("none"), new.goals or _("none"))
    add(
        "pressure",
        _("Pressure preference"),
        str(old.get_pressure_display()),
        str(new.get_pressure_display()),
    )
    add(
        "discomfort_ceiling",
        _("Most discomfort accepted"),
        f"{old.discomfort_ceiling}/10",
        f"{new.discomfort_ceiling}/10",
    )
    add("last_massage", _("Last massage"), _last_massage(old), _last_massage(new))
    add(
        "screening",
        _("Health screening"),
        _choice_list(old.screening, Intake.Screening.choices),
        _choice_list(new.screening, Intake.Screening.choices),
    )
    add("medications", _("Medications"), old.medications or _("none"), new.medications or _("none"))
    add("other_notes", _("Other notes"), old.other_notes or _("none"), new.other_notes or _("none"))

    old_areas = {a.region: a for a in old.pain_areas.all()}
    new_areas = {a.region: a for a in new.pain_areas.all()}
    for slug in sorted(
        old_areas.keys() | new_areas.keys(), key=lambda s: _REGION_ORDER.get(s, 999)
    ):
        add(
            f"area:{slug}",
            _("Pain: %(area)s") % {"area": region_label(slug)},
            _area_text(old_areas.get(slug)),
            _area_text(new_areas.get(slug)),
        )
    return changes


@dataclass(frozen=True)
class IntakeStatus:
    state: str  # "missing", "current" or "stale"
    intake: Intake | None


def intake_status(*, client: ClientProfile | None, now: dt.datetime | None = None) -> IntakeStatus:
    """For the dashboard: no intake yet, a current one, or one older than about six months."""
    if client is None:
        return IntakeStatus("missing", None)
    intake = intake_current(client=client)
    if intake is None:
        return IntakeStatus("missing", None)
    now = now or timezone.now()
    state = "stale" if intake.created_at < now - INTAKE_REVIEW_AFTER else "current"
    return IntakeStatus(state, intake)


def viewer_time_zone(*, user: Any) -> zoneinfo.ZoneInfo:
    """The zone to show times in for this viewer: their own profile's zone, else the site's."""
    name = settings.TIME_ZONE
    if getattr(user, "is_authenticated", False):
        for attr in ("client_profile", "therapist_profile"):
            try:
                name = getattr(user, attr).time_zone
                break
            except ObjectDoesNotExist:
                continue
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def client_local_today(*, client: ClientProfile | None) -> dt.date:
    """Today's date where the client lives (used to refuse a 'last massage' in the future)."""
    name = client.time_zone if client else settings.TIME_ZONE
    try:
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.localdate()
