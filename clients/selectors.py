"""Reads for the clients app: profiles, intake versions, who may see an intake, what changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import rules
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.body import REGIONS, region_label
from clients.models import ClientProfile, Intake, PainArea
from clients.services import intake_view_record
from core.zones import local_today, viewer_zone

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


def intake_for_viewer(*, pk: int, user: Any, context: str) -> Intake | None:
    """The intake ``pk`` if ``user`` may see it now (the one health-data rule, asked through
    Django's permissions), with the look written to the access log; else None."""
    intake = Intake.objects.select_related("client__user").filter(pk=pk).first()
    # The rule itself (django-rules), not user.has_perm(): Django answers yes to a superuser
    # for every permission, and a superuser without two-factor must see no health data.
    if intake is None or not rules.has_perm("clients.view_health_record", user, intake.client):
        return None
    intake_view_record(intake=intake, viewer=user, context=context)
    return intake


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


def viewer_time_zone(*, user: Any) -> dt.tzinfo:
    """The zone to show times in for this viewer (``core.zones.viewer_zone``)."""
    return viewer_zone(user)


def client_local_today(*, client: ClientProfile | None) -> dt.date:
    """Today's date where the client lives (used to refuse a 'last massage' in the future)."""
    return local_today(client)
