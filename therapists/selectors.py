"""Reads for the therapists app: working time and the directory (without free times: those
come from ``booking.selectors``, a layer above)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypedDict

from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    QuerySet,
)

from core import sql
from core.geo import Point, distance_km, lookup_postcode
from therapists.models import (
    DateOverride,
    Modality,
    Service,
    TherapistProfile,
    TimeOff,
    WeeklyHours,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

UTC = dt.UTC

Interval = tuple[dt.datetime, dt.datetime]


class _TimeRange(Protocol):
    @property
    def start_time(self) -> dt.time: ...
    @property
    def end_time(self) -> dt.time: ...


class _WeeklyRange(_TimeRange, Protocol):
    @property
    def weekday(self) -> int: ...


class _DatedRange(_TimeRange, Protocol):
    @property
    def date(self) -> dt.date: ...


class _Block(Protocol):
    @property
    def starts_at(self) -> dt.datetime: ...
    @property
    def ends_at(self) -> dt.datetime: ...


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract_intervals(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """``intervals`` minus every hole; both sides may be unsorted, the result is merged."""
    result = merge_intervals(intervals)
    for hole_start, hole_end in merge_intervals(holes):
        pieces: list[Interval] = []
        for start, end in result:
            if hole_end <= start or hole_start >= end:
                pieces.append((start, end))
                continue
            if start < hole_start:
                pieces.append((start, hole_start))
            if hole_end < end:
                pieces.append((hole_end, end))
        result = pieces
    return result


def local_to_utc(day: dt.date, at: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """A wall-clock time on a local date as a UTC instant.

    On the night clocks go forward a wall time inside the gap (02:30 in New York) does not
    exist; zoneinfo reads it with the offset from before the change, which lands it just
    after the gap (03:30 local). On the night clocks go back, an ambiguous time is the first
    of its two occurrences (fold=0)."""
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def local_day_bounds(day: dt.date, tz: dt.tzinfo) -> Interval:
    """Local midnight to the next local midnight as UTC (23 or 25 hours on DST days)."""
    return (
        local_to_utc(day, dt.time(0), tz),
        local_to_utc(day + dt.timedelta(days=1), dt.time(0), tz),
    )


def working_intervals(
    *,
    therapist: TherapistProfile,
    start_date: dt.date,
    days: int,
    weekly_hours: Sequence[_WeeklyRange] | None = None,
    overrides: Sequence[_DatedRange] | None = None,
    time_off: Sequence[_Block] | None = None,
) -> list[Interval]:
    """When the therapist works, as sorted, merged, UTC-aware intervals.

    For each local date from ``start_date`` for ``days`` days (dates in the therapist's time
    zone): the weekly ranges for that weekday, plus any extra hours (date overrides) on that
    date, minus every time-off block. Wall times are converted with the date's own UTC
    offset, so 09:00 stays 09:00 local on both sides of a daylight-saving change.

    The slot engine passes preloaded ``weekly_hours``, ``overrides`` and ``time_off`` lists
    to avoid queries; whatever is not passed is read from the database."""
    if days <= 0:
        return []
    tz = therapist.tz
    end_date = start_date + dt.timedelta(days=days)
    window = (local_to_utc(start_date, dt.time(0), tz), local_to_utc(end_date, dt.time(0), tz))

    if weekly_hours is None:
        weekly_hours = list(WeeklyHours.objects.filter(therapist=therapist))
    if overrides is None:
        overrides = list(
            DateOverride.objects.filter(
                therapist=therapist, date__gte=start_date, date__lt=end_date
            )
        )
    if time_off is None:
        time_off = list(
            TimeOff.objects.filter(
                therapist=therapist, starts_at__lt=window[1], ends_at__gt=window[0]
            )
        )

    by_weekday: dict[int, list[_WeeklyRange]] = {}
    for hours in weekly_hours:
        by_weekday.setdefault(hours.weekday, []).append(hours)
    by_date: dict[dt.date, list[_DatedRange]] = {}
    for override in overrides:
        if start_date <= override.date < end_date:
            by_date.setdefault(override.date, []).append(override)

    open_: list[Interval] = []
    for offset in range(days):
        day = start_date + dt.timedelta(days=offset)
        ranges: list[_TimeRange] = [*by_weekday.get(day.weekday(), []), *by_date.get(day, [])]
        for row in ranges:
            open_.append(
                (local_to_utc(day, row.start_time, tz), local_to_utc(day, row.end_time, tz))
            )

    holes = [
        (block.starts_at.astimezone(UTC), block.ends_at.astimezone(UTC))
        for block in time_off
        if block.starts_at < window[1] and block.ends_at > window[0]
    ]
    return subtract_intervals(open_, holes)


class WeeklyRange(NamedTuple):
    weekday: int
    start_time: dt.time
    end_time: dt.time


class DatedRange(NamedTuple):
    date: dt.date
    start_time: dt.time
    end_time: dt.time


class Block(NamedTuple):
    starts_at: dt.datetime
    ends_at: dt.datetime
    pk: int | None = None
    reason: str = ""


@dataclass
class WorkingTime:
    """What ``working_intervals`` needs for one therapist, as plain tuples."""

    weekly: list[WeeklyRange] = field(default_factory=list)
    overrides: list[DatedRange] = field(default_factory=list)
    time_off: list[Block] = field(default_factory=list)


def working_time_statement(
    *, therapist_ids: Sequence[int], first_date: dt.date, last_date: dt.date, window: Interval
) -> tuple[str, list[Any]]:
    """The statement behind ``working_time``, for callers that add to it (the slot loader
    appends the bookings with UNION ALL, so a whole calendar is one round trip)."""
    ids = list(therapist_ids)
    weekly, extra, off = (m._meta.db_table for m in (WeeklyHours, DateOverride, TimeOff))
    statement = f"""
        SELECT 0, therapist_id, weekday, CAST(start_time AS TEXT), CAST(end_time AS TEXT),
               id, NULL
          FROM {weekly} WHERE therapist_id IN ({sql.marks(ids)})
        UNION ALL
        SELECT 1, therapist_id, NULL, CAST(date AS TEXT) || '|' || CAST(start_time AS TEXT),
               CAST(end_time AS TEXT), id, NULL
          FROM {extra} WHERE therapist_id IN ({sql.marks(ids)}) AND date >= %s AND date <= %s
        UNION ALL
        SELECT 2, therapist_id, NULL, CAST(starts_at AS TEXT), CAST(ends_at AS TEXT), id, reason
          FROM {off} WHERE therapist_id IN ({sql.marks(ids)}) AND starts_at < %s AND ends_at > %s
    """
    params = [
        *sql.in_params(ids),
        *sql.in_params(ids),
        sql.day(first_date),
        sql.day(last_date),
        *sql.in_params(ids),
        sql.moment(window[1]),
        sql.moment(window[0]),
    ]
    return statement, params


_time = dt.time.fromisoformat


def working_time_add(result: dict[int, WorkingTime], row: tuple[Any, ...]) -> bool:
    """File one row of ``working_time_statement`` under its therapist; False for a row of
    another kind (the caller's own)."""
    kind, tid, weekday, a, b, pk, note = row
    if kind == 0:
        result[tid].weekly.append(WeeklyRange(weekday, _time(a), _time(b)))
    elif kind == 1:
        date, start = a.split("|")
        result[tid].overrides.append(
            DatedRange(dt.date.fromisoformat(date), _time(start), _time(b))
        )
    elif kind == 2:
        result[tid].time_off.append(Block(sql.utc(a), sql.utc(b), pk, note or ""))
    else:
        return False
    return True


def working_time(
    *, therapist_ids: Sequence[int], first_date: dt.date, last_date: dt.date, window: Interval
) -> dict[int, WorkingTime]:
    """Weekly hours, extra hours dated ``first_date``..``last_date`` and time off overlapping
    ``window``, for many therapists, in ONE statement (a UNION ALL of the three tables).

    Hand-written (``core.sql``): on the pages that show free times, building three ORM
    queries cost more than running them. Values come back as text and are parsed with
    ``fromisoformat`` (C). Columns: kind, therapist, weekday, a, b, id, note, where a and b
    are start and end times (weekly hours), "date|time" and a time (extra hours), or two
    timestamps (time off)."""
    statement, params = working_time_statement(
        therapist_ids=therapist_ids, first_date=first_date, last_date=last_date, window=window
    )
    result: dict[int, WorkingTime] = {tid: WorkingTime() for tid in therapist_ids}
    for row in sql.rows(statement, params):
        working_time_add(result, row)
    return result


def listing_fingerprint(*, modality_slug: str = "", slug: str = "") -> list[tuple[Any, ...]]:
    """What the cached directory or profile depends on, in one small statement: the id,
    version (``therapists.availability``) and zone of every approved therapist it may show
    (all of a modality's, or the one at ``slug``). Joining or leaving the list, or any change
    to one of them, changes the fingerprint. Hand-written: it is all a kept page costs."""
    therapist, service, modality = (m._meta.db_table for m in (TherapistProfile, Service, Modality))
    where = ["t.approval = %s"]
    params: list[Any] = [TherapistProfile.Approval.APPROVED.value]
    if slug:
        where.append("t.slug = %s")
        params.append(slug)
    if modality_slug:
        where.append(
            f"EXISTS (SELECT 1 FROM {service} s JOIN {modality} m ON m.id = s.modality_id"
            " WHERE s.therapist_id = t.id AND s.is_active = %s AND m.slug = %s)"
        )
        params += [True, modality_slug]
    statement = (
        f"SELECT t.id, t.availability_version, t.time_zone FROM {therapist} t"
        f" WHERE {' AND '.join(where)} ORDER BY t.id"
    )
    return sql.rows(statement, params)


# --- Public pages ---------------------------------------------------------------------------


@dataclass
class DirectoryEntry:
    therapist: TherapistProfile
    modalities: list[Modality]
    services: list[Service]
    distance_km: float | None = None
    next_slot: dt.datetime | None = None
    # Set by the page above for a signed-in client: why this therapist cannot come to them.
    out_of_area: str = ""

    @property
    def price_min(self) -> Decimal | None:
        return min((s.price for s in self.services), default=None)

    @property
    def price_max(self) -> Decimal | None:
        return max((s.price for s in self.services), default=None)


@dataclass
class Directory:
    entries: list[DirectoryEntry]
    modality: Modality | None = None
    modality_unknown: bool = False
    postcode: str = ""
    point: Point | None = None
    postcode_unknown: bool = False
    modalities: list[Modality] = field(default_factory=list)


def therapist_reaches(therapist: TherapistProfile, point: Point | None) -> bool:
    """The area rule, in its one home: a therapist reaches a place inside their travel radius
    of their home base. A place or a base we cannot locate is given the benefit of the doubt
    (the therapist sees the address before the visit). The directory, the booking flow, the
    profiles and ``booking.policy`` all ask this."""
    if point is None or therapist.home_point is None:
        return True
    return distance_km(therapist.home_point, point) <= therapist.radius_km


def approved_therapists() -> QuerySet[TherapistProfile]:
    return TherapistProfile.objects.filter(approval=TherapistProfile.Approval.APPROVED)


def therapist_directory(*, modality_slug: str = "", postcode: str = "") -> Directory:
    """Approved therapists, optionally only those offering ``modality_slug`` and reaching
    ``postcode``; nearest first when a postcode is given, otherwise by name.

    A fixed number of queries whatever the number of therapists: modalities, profiles, and
    one prefetch each for their modalities and their active services."""
    modalities = list(Modality.objects.all())
    result = Directory(entries=[], postcode=postcode.strip(), modalities=modalities)
    qs = approved_therapists()
    if modality_slug:
        result.modality = next((m for m in modalities if m.slug == modality_slug), None)
        if result.modality is None:
            result.modality_unknown = True
        else:
            qs = qs.filter(
                Exists(
                    Service.objects.filter(
                        therapist=OuterRef("pk"), modality=result.modality, is_active=True
                    )
                )
            )
    if result.postcode:
        result.point = lookup_postcode(result.postcode)
        result.postcode_unknown = result.point is None
        if result.point is not None:
            # Nobody travels more than 200 km (the radius field's ceiling): a cheap box in SQL
            # first, the exact distance against each therapist's own radius below.
            span = 200 / 111.0
            qs = qs.filter(
                latitude__gte=result.point.latitude - span,
                latitude__lte=result.point.latitude + span,
            )
    qs = qs.prefetch_related(
        "modalities",
        Prefetch(
            "services",
            queryset=Service.objects.filter(is_active=True).order_by("duration_minutes", "price"),
            to_attr="active_services",
        ),
    )
    for therapist in qs:
        services = therapist.active_services
        if result.modality is not None:
            services = [s for s in services if s.modality_id == result.modality.pk]
        entry = DirectoryEntry(
            therapist=therapist, modalities=list(therapist.modalities.all()), services=services
        )
        if result.point is not None:
            home = therapist.home_point
            if home is None:
                continue
            entry.distance_km = distance_km(home, result.point)
            if not therapist_reaches(therapist, result.point):
                continue
        result.entries.append(entry)
    if result.point is not None:
        result.entries.sort(key=lambda e: (e.distance_km, e.therapist.display_name))
    return result


def first_slot_per_day(
    slots: Sequence[dt.datetime], *, tz: dt.tzinfo, days: int = 3
) -> list[dt.datetime]:
    """The earliest slot on each of the first ``days`` dates that have one (dates in
    ``tz``): three choices on three days say more than 9:00, 9:15 and 9:30."""
    chosen: dict[dt.date, dt.datetime] = {}
    for slot in slots:
        day = slot.astimezone(tz).date()
        if day not in chosen:
            if len(chosen) == days:
                break
            chosen[day] = slot
    return list(chosen.values())


class ActiveServices(TypedDict):
    """What ``Prefetch("services", ..., to_attr="active_services")`` adds to a profile."""

    active_services: list[Service]


def therapist_for_viewer(
    *, slug: str, user: Any, queryset: QuerySet[TherapistProfile] | None = None
) -> WithAnnotations[TherapistProfile, ActiveServices] | None:
    """The profile at ``slug`` if ``user`` may see it: anyone once approved; before that
    only its owner and staff (a preview). ``queryset`` lets a page above add what it needs
    to the same query (the rating, from aftercare)."""
    profile = (
        (TherapistProfile.objects.all() if queryset is None else queryset)
        .filter(slug=slug)
        .prefetch_related(
            "modalities",
            Prefetch(
                "services",
                queryset=Service.objects.filter(is_active=True).select_related("modality"),
                to_attr="active_services",
            ),
        )
        .first()
    )
    if profile is None:
        return None
    if profile.is_approved:
        return profile
    if user.is_authenticated and (user.is_staff or profile.user_id == user.pk):
        return profile
    return None


def therapist_profile_of(*, user_id: int) -> TherapistProfile | None:
    """The therapist profile of user ``user_id``, or None. Every page and JSON call of a
    therapist asks this first (``therapists.decorators``): one hand-written statement, read
    through the ORM's converters (a raw query), costs a third of the ORM's filtered
    ``first()``."""
    table = TherapistProfile._meta.db_table
    found = list(
        TherapistProfile.objects.raw(f"SELECT * FROM {table} WHERE user_id = %s", [user_id])
    )
    return found[0] if found else None
