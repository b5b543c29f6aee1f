"""Reads for booking: the bookable slots of a therapist, the earliest across therapists, and
the therapist's calendar (visits, time off, working hours, today, the feed)."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from booking import availability, wording
from booking.models import Booking
from booking.policy import BookingRefused, check_can_book, client_in_area
from booking.slots import SlotRequest, TravelPolicy, Visit, iter_slots
from clients.care_flags import CLEARANCE, CareFlag, VisitHistory, care_flags
from clients.models import ClientProfile, Intake
from clients.selectors import intake_current
from core import sql
from core.geo import Point, PostcodePlace, distance_km, lookup_place, lookup_postcode
from core.inputs import parse_id
from core.zones import zone_for
from therapists.models import (
    Modality,
    Service,
    TherapistProfile,
)
from therapists.selectors import (
    WorkingTime,
    local_day_bounds,
    therapist_reaches,
    working_intervals,
    working_time,
    working_time_add,
    working_time_statement,
)


def active_bookings() -> QuerySet[Booking]:
    return Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES)


@dataclass
class _Calendars:
    """Everything the engine needs for a set of therapists, loaded in two queries: their
    working time (hours, extra hours, time off in one UNION) and the active bookings of the
    therapists and of the client, as plain tuples."""

    working: dict[int, WorkingTime] = field(default_factory=dict)
    visits: dict[int, list[Visit]] = field(default_factory=dict)
    client_busy: list[tuple[datetime, datetime]] = field(default_factory=list)


def _load_calendars(
    *,
    therapist_ids: list[int],
    start_date: date,
    days: int,
    client: ClientProfile | None,
    exclude_booking: Booking | None,
) -> _Calendars:
    # A generous UTC window: two days either side covers every time zone and the travel
    # needed from a visit late the evening before.
    window_start = datetime.combine(start_date - timedelta(days=2), time(), tzinfo=UTC)
    window_end = datetime.combine(start_date + timedelta(days=days + 2), time(), tzinfo=UTC)
    ids = list(therapist_ids)
    cal = _Calendars(working={pk: WorkingTime() for pk in ids}, visits={pk: [] for pk in ids})
    # One round trip, hand-written (core.sql): the working time (hours, extra hours, time
    # off) and, appended, the active bookings of these therapists and of the client. For
    # "first available" over hundreds of therapists, building the ORM's statements and
    # running its per-value converters cost more than the queries themselves.
    working, params = working_time_statement(
        therapist_ids=ids,
        first_date=start_date - timedelta(days=1),
        last_date=start_date + timedelta(days=days + 1),
        window=(window_start, window_end),
    )
    statuses = [str(status) for status in Booking.ACTIVE_STATUSES]
    whose = f"therapist_id IN ({sql.marks(ids)})"
    params += sql.in_params(ids)
    if client is not None:
        whose += " OR client_id = %s"  # the client's own visits, in the same statement
        params.append(client.pk)
    statement = f"""{working}
        UNION ALL
        SELECT 3, therapist_id, client_id, CAST(starts_at AS TEXT), CAST(ends_at AS TEXT),
               NULL, CAST(latitude AS TEXT) || ' ' || CAST(longitude AS TEXT)
          FROM {Booking._meta.db_table}
         WHERE ({whose}) AND status IN ({sql.marks(statuses)})
           AND starts_at < %s AND ends_at > %s AND id <> %s
    """
    params += [
        *statuses,
        sql.moment(window_end),
        sql.moment(window_start),
        exclude_booking.pk if exclude_booking is not None else 0,
    ]
    client_id = client.pk if client is not None else None
    for row in sql.rows(statement, params):
        if working_time_add(cal.working, row):
            continue
        _, therapist_id, owner_id, raw_start, raw_end, _, where = row
        starts_at, ends_at = sql.utc(raw_start), sql.utc(raw_end)
        if therapist_id in cal.visits:
            point = Point(*map(float, where.split())) if where else None
            cal.visits[therapist_id].append(Visit(starts_at, ends_at, point))
        if owner_id == client_id:
            cal.client_busy.append((starts_at, ends_at))
    return cal


def slots_api_lookup(*, therapist_id: int, service_id: int) -> tuple[int, str, int] | None:
    """(version, time zone, notice hours) when ``service_id`` is an active service of the
    approved therapist ``therapist_id``, else None. One hand-written statement: it is all a
    kept answer of the slots API costs (``core.pagecache``)."""
    if not (0 < therapist_id < 2**63 and 0 < service_id < 2**63):
        return None
    statement = f"""
        SELECT t.availability_version, t.time_zone, t.min_notice_hours
          FROM {Service._meta.db_table} s JOIN {TherapistProfile._meta.db_table} t
            ON t.id = s.therapist_id
         WHERE s.id = %s AND t.id = %s AND s.is_active = %s AND t.approval = %s
    """
    found = sql.rows(
        statement, [service_id, therapist_id, True, TherapistProfile.Approval.APPROVED.value]
    )
    return (found[0][0], found[0][1], found[0][2]) if found else None


def _iter_free(
    *,
    therapist: TherapistProfile,
    service: Service,
    start_date: date,
    days: int,
    client: ClientProfile | None,
    now: datetime,
    cal: _Calendars,
    horizon: bool = True,
) -> Iterator[datetime]:
    """The free start times in order, lazily: callers that need a few stop early.
    ``horizon=False`` leaves out the booking horizon (the cache trims it on read)."""
    if not service.is_active or service.therapist_id != therapist.pk:
        return iter(())
    hours = cal.working.get(therapist.pk) or WorkingTime()
    working = working_intervals(
        therapist=therapist,
        start_date=start_date,
        days=days,
        weekly_hours=hours.weekly,
        overrides=hours.overrides,
        time_off=hours.time_off,
    )
    if not working:
        return iter(())
    request = SlotRequest(
        tz=therapist.tz,
        working=working,
        duration=timedelta(minutes=service.duration_minutes),
        step=timedelta(minutes=settings.BOOKING_SLOT_STEP_MINUTES),
        earliest=now + timedelta(hours=therapist.min_notice_hours),
        latest=now + timedelta(weeks=settings.BOOKING_HORIZON_WEEKS) if horizon else working[-1][1],
        travel=TravelPolicy(
            speed_kmh=float(therapist.travel_speed_kmh),
            min_buffer=timedelta(minutes=therapist.min_travel_buffer_minutes),
            home=therapist.home_point,
            from_home_base=therapist.travel_from_home_base,
        ),
        max_per_day=therapist.max_visits_per_day,
        visits=cal.visits.get(therapist.pk, []),
        client_point=client.point if client is not None else None,
        client_busy=cal.client_busy,
        out_of_area=not client_in_area(therapist=therapist, client=client),
    )
    return iter_slots(request)


def _clamp_days(days: int) -> int:
    return max(0, min(days, 7 * settings.BOOKING_HORIZON_WEEKS + 1))


def _fresh(
    wanted: list[tuple[TherapistProfile, Service]],
    *,
    start_date: Callable[[TherapistProfile], date],
    days: int,
    client: ClientProfile | None,
    now: datetime,
    exclude_booking: Booking | None = None,
    horizon: bool = True,
) -> dict[int, list[datetime]]:
    """Computed now, for every (therapist, service), with one load of their calendars."""
    if not wanted:
        return {}
    first = min(start_date(t) for t, _ in wanted)
    last = max(start_date(t) for t, _ in wanted)
    cal = _load_calendars(
        therapist_ids=sorted({t.pk for t, _ in wanted}),
        start_date=first,
        days=days + (last - first).days,
        client=client,
        exclude_booking=exclude_booking,
    )
    return {
        service.pk: list(
            _iter_free(
                therapist=therapist,
                service=service,
                start_date=start_date(therapist),
                days=days,
                client=client,
                now=now,
                cal=cal,
                horizon=horizon,
            )
        )
        for therapist, service in wanted
    }


def _slots(
    wanted: list[tuple[TherapistProfile, Service]],
    *,
    start_date: Callable[[TherapistProfile], date],
    days: int,
    client: ClientProfile | None,
    now: datetime,
    rows_read_now: bool,
) -> dict[int, list[datetime]]:
    """Anonymous visitors are served from the availability cache; a client's own view is
    computed (their address and their own bookings change the answer)."""
    if client is not None:
        return _fresh(wanted, start_date=start_date, days=days, client=client, now=now)
    return availability.cached_slots(
        wanted=wanted,
        start_date=start_date,
        days=days,
        now=now,
        rows_read_now=rows_read_now,
        compute=lambda missing: _fresh(
            missing, start_date=start_date, days=days, client=None, now=now, horizon=False
        ),
    )


def available_slots(
    *,
    therapist: TherapistProfile,
    service: Service,
    start_date: date,
    days: int,
    client: ClientProfile | None = None,
    now: datetime | None = None,
    exclude_booking: Booking | None = None,
    cached: bool = True,
    rows_read_now: bool = False,
) -> list[datetime]:
    """The start times (aware, UTC, sorted, unique) a client can book for ``service`` with
    ``therapist`` on ``days`` days from ``start_date`` (dates in the therapist's zone).

    Two queries at most, whatever the number of bookings or days: the working time, and the
    bookings of the therapist and the client. Without a client, from the availability cache
    (``booking.availability``) unless ``cached=False``: ``booking_create`` checks the time
    fresh, under its lock. ``exclude_booking`` is a booking being rescheduled: its own time
    does not block its new time. ``rows_read_now``: see ``booking.availability``.
    """
    days = _clamp_days(days)
    if days == 0 or not service.is_active or service.therapist_id != therapist.pk:
        return []
    now = now or timezone.now()
    wanted = [(therapist, service)]
    if client is None and exclude_booking is None and cached:
        by_service = _slots(
            wanted,
            start_date=lambda _t: start_date,
            days=days,
            client=None,
            now=now,
            rows_read_now=rows_read_now,
        )
    else:
        by_service = _fresh(
            wanted,
            start_date=lambda _t: start_date,
            days=days,
            client=client,
            now=now,
            exclude_booking=exclude_booking,
        )
    return by_service.get(service.pk, [])


def slots_for_services(
    *,
    services: list[Service],
    start_date: date,
    days: int,
    client: ClientProfile | None = None,
    now: datetime | None = None,
    rows_read_now: bool = False,
) -> dict[int, list[datetime]]:
    """``available_slots`` for many services (of many therapists) at once, in the same fixed
    number of queries as for one: the directory and the profile use it. ``services`` must
    have their therapist loaded (``select_related("therapist")``)."""
    now = now or timezone.now()
    days = _clamp_days(days)
    if not services or days == 0:
        return {}

    def first_day(therapist: TherapistProfile) -> date:
        # "Today" is the therapist's today, so start from their local date.
        return max(start_date, now.astimezone(therapist.tz).date())

    return _slots(
        [(s.therapist, s) for s in services],
        start_date=first_day,
        days=days,
        client=client,
        now=now,
        rows_read_now=rows_read_now,
    )


def next_free_slots(
    *,
    therapist: TherapistProfile,
    service: Service | None = None,
    count: int = 3,
    days: int = 14,
    now: datetime | None = None,
    client: ClientProfile | None = None,
) -> list[datetime]:
    """The first ``count`` free start times in the next ``days`` days, for ``service`` or the
    therapist's shortest active service. A client's own view stops at ``count``."""
    now = now or timezone.now()
    if service is None:
        service = therapist.services.filter(is_active=True).order_by("duration_minutes").first()
        if service is None:
            return []
    start_date = now.astimezone(therapist.tz).date()
    days = _clamp_days(days)
    if client is None:
        return available_slots(
            therapist=therapist, service=service, start_date=start_date, days=days, now=now
        )[:count]
    cal = _load_calendars(
        therapist_ids=[therapist.pk],
        start_date=start_date,
        days=days,
        client=client,
        exclude_booking=None,
    )
    free = _iter_free(
        therapist=therapist,
        service=service,
        start_date=start_date,
        days=days,
        client=client,
        now=now,
        cal=cal,
    )
    return list(itertools.islice(free, count))


@dataclass(frozen=True)
class FollowUpDay:
    """When a recommended follow-up can really happen: ``on``, the first day on or after the
    recommendation (and not before today) that the therapist works (their hours and extra
    hours, minus time off; dates in their zone), and free times around it for this client."""

    recommended: date
    on: date
    slots: list[datetime]


FOLLOW_UP_LOOKAHEAD_DAYS = 28
# Quick-book times around the day are a choice, not three quarter-hours in a row.
FOLLOW_UP_SLOT_GAP = timedelta(hours=2)


def follow_up_day(
    *,
    therapist: TherapistProfile,
    service: Service,
    client: ClientProfile | None,
    recommended: date,
    count: int = 3,
    now: datetime | None = None,
) -> FollowUpDay:
    """The aftercare follow-up's date and its quick-book times (the page and the e-mail).
    Without a working day in the next four weeks, ``on`` stays the recommendation."""
    now = now or timezone.now()
    tz = therapist.tz
    first = max(recommended, now.astimezone(tz).date())
    days = FOLLOW_UP_LOOKAHEAD_DAYS
    # One statement (the dispatcher sends follow-ups in bulk): the working time and the
    # bookings from the recommendation to two weeks past the last day it may move to.
    cal = _load_calendars(
        therapist_ids=[therapist.pk],
        start_date=first,
        days=days + 14,
        client=client,
        exclude_booking=None,
    )
    hours = cal.working[therapist.pk]
    open_ = working_intervals(
        therapist=therapist,
        start_date=first,
        days=days,
        weekly_hours=hours.weekly,
        overrides=hours.overrides,
        time_off=hours.time_off,
    )
    on = open_[0][0].astimezone(tz).date() if open_ else recommended
    slots: list[datetime] = []
    if service.is_active and service.therapist_id == therapist.pk:
        free = _iter_free(
            therapist=therapist,
            service=service,
            start_date=on,
            days=14,
            client=client,
            now=now,
            cal=cal,
        )
        for slot in free:
            if not slots or slot - slots[-1] >= FOLLOW_UP_SLOT_GAP:
                slots.append(slot)
            if len(slots) == count:
                break
    return FollowUpDay(recommended=recommended, on=on, slots=slots)


@dataclass(frozen=True)
class SlotOffer:
    therapist: TherapistProfile
    service: Service
    starts_at: datetime


def _takes_client(client: ClientProfile | None, *, via: str = "") -> Q:
    """The therapist (``via`` the relation that leads to them, or the row itself) takes this
    client: new clients, or ``client`` has seen them before (``booking.policy``'s rule)."""
    prefix = f"{via}__" if via else ""
    taking = Q(**{f"{prefix}accepts_new_clients": True})
    if client is not None:
        taking |= Q(
            Exists(
                Booking.objects.filter(therapist=OuterRef(via or "pk"), client=client).exclude(
                    status__in=(Booking.Status.CANCELLED, Booking.Status.DECLINED)
                )
            )
        )
    return taking


def bookable_therapists(
    *,
    modality: Modality | str | None = None,
    postcode: str | None = None,
    client: ClientProfile | None = None,
) -> list[TherapistProfile]:
    """Approved therapists who offer ``modality``, reach ``postcode`` and take this client:
    new clients, or ``client`` has seen them before (``booking.policy``'s rule)."""
    taking = _takes_client(client)
    qs = (
        TherapistProfile.objects.filter(approval=TherapistProfile.Approval.APPROVED)
        .filter(taking)
        .prefetch_related("modalities")
    )
    if modality is not None:
        slug = modality if isinstance(modality, str) else modality.slug
        qs = qs.filter(services__modality__slug=slug, services__is_active=True).distinct()
    therapists = list(qs)
    point = lookup_postcode(postcode) if postcode else None
    return [t for t in therapists if therapist_reaches(t, point)]


# --- Where the viewer is, and who reaches them ---------------------------------------------------


@dataclass(frozen=True)
class ViewerArea:
    """Where the free times are for: the signed-in client's saved address, else a ZIP the
    visitor gave (``?postcode=``). ``point`` is None when there is nothing to place yet
    (``asked``: a ZIP is needed before times mean anything) or the ZIP is unknown."""

    postcode: str = ""
    point: Point | None = None
    saved: bool = False  # the client's own address (what a booking will use)
    unknown: bool = False  # a ZIP was given but we cannot place it

    @property
    def asked(self) -> bool:
        """No place to show times for yet: a visitor without a ZIP (or with one we cannot
        place). A saved address we cannot place is given the benefit of the doubt, as
        ``therapist_reaches`` does."""
        return self.point is None and not self.saved


def viewer_area(*, client: ClientProfile | None, postcode: str = "") -> ViewerArea:
    """The client's saved address wins: it is the one a booking goes to. Without one, the
    ZIP the visitor typed, if we can place it."""
    if client is not None and (client.point is not None or client.postcode):
        point = client.point or lookup_postcode(client.postcode)
        return ViewerArea(client.postcode, point, saved=True, unknown=point is None)
    code = " ".join(postcode.split())[:16]
    if not code:
        return ViewerArea()
    point = lookup_postcode(code)
    return ViewerArea(code, point, unknown=point is None)


@dataclass(frozen=True)
class Reach:
    """Whether a therapist reaches the viewer, and if not the plain sentence that says so."""

    reaches: bool
    sentence: str = ""


def _base_place(therapist: TherapistProfile) -> PostcodePlace | None:
    return lookup_place(therapist.postcode)


def therapist_reach(*, therapist: TherapistProfile, area: ViewerArea) -> Reach:
    """``therapist_reaches`` for a page: when the answer is no, how far they travel from
    where, and how far away the viewer's address is ("Maya travels up to 8 miles from
    Chelsea; your address is 2,400 miles away")."""
    if area.point is None or therapist_reaches(therapist, area.point):
        return Reach(True)
    assert therapist.home_point is not None  # therapist_reaches is True without one
    base = _base_place(therapist)
    return Reach(
        False,
        wording.out_of_area(
            name=therapist.display_name,
            radius_km=therapist.radius_km,
            base=base.city if base and base.city else therapist.postcode,
            away_km=distance_km(therapist.home_point, area.point),
            saved=area.saved,
            # Miles where the ZIP table places the address (the US); kilometres elsewhere.
            miles=lookup_place(area.postcode) is not None or base is not None,
        ),
    )


def therapists_covering(
    *,
    area: ViewerArea,
    modality: str | None = None,
    client: ClientProfile | None = None,
    exclude: TherapistProfile | None = None,
    limit: int = 3,
) -> list[TherapistProfile]:
    """Approved therapists taking this client who reach ``area`` (placed, nearest first):
    the ones to offer when the one asked for does not."""
    if area.point is None:
        return []
    point = area.point
    found = [
        t
        for t in bookable_therapists(modality=modality, client=client)
        if t.home_point is not None
        and therapist_reaches(t, point)
        and (exclude is None or t.pk != exclude.pk)
    ]
    found.sort(key=lambda t: (distance_km(t.home_point or point, point), t.display_name))
    return found[:limit]


def earliest_slots(
    *,
    modality: Modality | str,
    duration_minutes: int | None = None,
    postcode: str | None = None,
    start_date: date | None = None,
    days: int = 14,
    limit: int = 10,
    now: datetime | None = None,
    client: ClientProfile | None = None,
) -> list[SlotOffer]:
    """ "Book the first available": the earliest slots across every therapist who offers the
    modality (at that duration) and reaches the postcode, soonest first.

    Each service's free times come lazily, in order, and a heap merges them: the answer is
    complete after ``limit`` steps, so a therapist whose first free time is late is never
    computed past it. Three queries whatever the number of therapists: the matching
    services with their therapists, the working time, the bookings."""
    now = now or timezone.now()
    days = _clamp_days(days)
    slug = modality if isinstance(modality, str) else modality.slug
    taking = _takes_client(client, via="therapist")
    matching = (
        Service.objects.filter(
            taking,
            is_active=True,
            modality__slug=slug,
            therapist__approval=TherapistProfile.Approval.APPROVED,
        )
        .select_related("therapist", "modality")
        .order_by()
    )
    if duration_minutes:
        matching = matching.filter(duration_minutes=duration_minutes)
    point = lookup_postcode(postcode) if postcode else None
    services = [s for s in matching if therapist_reaches(s.therapist, point)]
    if not services or days == 0:
        return []
    first = start_date or now.date()

    def first_day(therapist: TherapistProfile) -> date:
        return max(first, now.astimezone(therapist.tz).date())

    therapist_ids = sorted({s.therapist_id for s in services})
    # Look a day ahead first, then further only when that day has fewer than ``limit``
    # times: the first free times are usually near, and loading two weeks of every
    # therapist's calendar to find them was most of the cost. Each round is two queries.
    span = 1
    while True:
        span = min(span, days)
        cal = _load_calendars(
            therapist_ids=therapist_ids,
            start_date=first - timedelta(days=1),
            days=span + 2,
            client=client,
            exclude_booking=None,
        )
        # A time inside every therapist's window is final; past the earliest window end
        # another therapist (in another zone) might still have an earlier one unseen.
        seen_until = min(
            local_day_bounds(first_day(s.therapist) + timedelta(days=span), s.therapist.tz)[0]
            for s in services
        )
        merged = heapq.merge(
            *(
                _offers(service, first_day(service.therapist), span, client, now, cal)
                for service in services
            )
        )
        found: list[SlotOffer] = []
        for starts_at, _name, _pk, offer in merged:
            if (starts_at >= seen_until and span < days) or len(found) == limit:
                break
            found.append(offer)
        if len(found) == limit or span == days:
            return found
        span *= 4


def _offers(
    service: Service,
    start_date: date,
    days: int,
    client: ClientProfile | None,
    now: datetime,
    cal: _Calendars,
) -> Iterator[tuple[datetime, str, int, SlotOffer]]:
    """One service's free times as heap entries: soonest first, then by name."""
    therapist = service.therapist
    for starts_at in _iter_free(
        therapist=therapist,
        service=service,
        start_date=start_date,
        days=days,
        client=client,
        now=now,
        cal=cal,
    ):
        yield (
            starts_at,
            therapist.display_name,
            service.pk,
            SlotOffer(therapist, service, starts_at),
        )


def bookings_for_client(*, client: ClientProfile) -> QuerySet[Booking]:
    return Booking.objects.filter(client=client).select_related(
        "therapist", "service", "service__modality"
    )


# --- The therapist's calendar ------------------------------------------------------------------

CALENDAR_STATUSES = (*Booking.ACTIVE_STATUSES, Booking.Status.COMPLETED)


def therapist_bookings(
    *, therapist: TherapistProfile, start: dt.datetime, end: dt.datetime, statuses: Sequence[str]
) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(
            therapist=therapist, status__in=statuses, starts_at__lt=end, ends_at__gt=start
        )
        .select_related("client__user", "service__modality")
        .order_by("starts_at")
    )


def calendar_events(
    *, therapist: TherapistProfile, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Events for the therapist's calendar between two aware instants: bookings, time off
    and (as background) working hours. Times are wall times in the therapist's zone without
    an offset: the calendar runs in that named zone, and FullCalendar without a time zone
    plugin takes such times as they are."""
    tz = therapist.tz

    def local(value: dt.datetime) -> str:
        return value.astimezone(tz).replace(tzinfo=None).isoformat(timespec="minutes")

    events: list[dict[str, Any]] = []
    # Hand-written (core.sql): the calendar asks for this on every view change, and the
    # ORM's statement with four joins cost more to build than to run.
    statuses = [str(status) for status in CALENDAR_STATUSES]
    tables = {
        "booking": Booking._meta.db_table,
        "client": ClientProfile._meta.db_table,
        "user": User._meta.db_table,
        "service": Service._meta.db_table,
        "modality": Modality._meta.db_table,
    }
    statement = f"""
        SELECT b.id, b.status, CAST(b.starts_at AS TEXT), CAST(b.ends_at AS TEXT),
               u.first_name, s.name, m.name, s.duration_minutes
          FROM {tables["booking"]} b
          JOIN {tables["client"]} c ON c.id = b.client_id
          JOIN {tables["user"]} u ON u.id = c.user_id
          JOIN {tables["service"]} s ON s.id = b.service_id
          JOIN {tables["modality"]} m ON m.id = s.modality_id
         WHERE b.therapist_id = %s AND b.status IN ({sql.marks(statuses)})
           AND b.starts_at < %s AND b.ends_at > %s
         ORDER BY b.starts_at
    """
    params = [therapist.pk, *statuses, sql.moment(end), sql.moment(start)]
    visit_url = reverse("therapists:visit", kwargs={"pk": 0}).removesuffix("0/")
    for pk, status, raw_start, raw_end, first_name, name, modality, minutes in sql.rows(
        statement, params
    ):
        service = Service.label(name=name, modality_name=modality, duration_minutes=minutes)
        events.append(
            {
                "id": f"booking-{pk}",
                "title": f"{first_name or _('Client')} · {service}",
                "start": local(sql.utc(raw_start)),
                "end": local(sql.utc(raw_end)),
                "url": f"{visit_url}{pk}/",
                "classNames": ["hk-booking", f"hk-booking-{status}"],
                "extendedProps": {
                    "kind": "booking",
                    "status": str(Booking.Status(status).label),
                },
            }
        )
    first_day = start.astimezone(tz).date()
    days = min((end.astimezone(tz).date() - first_day).days + 1, 62)
    shown_from = local_day_bounds(first_day, tz)[0]
    shown_until = local_day_bounds(first_day + timedelta(days=days), tz)[0]
    # Hours, extra hours and time off in one query, over the range asked for and the whole
    # days the background shows.
    hours = working_time(
        therapist_ids=[therapist.pk],
        first_date=first_day,
        last_date=first_day + timedelta(days=days),
        window=(min(start, shown_from), max(end, shown_until)),
    )[therapist.pk]
    for block in hours.time_off:
        if not (block.starts_at < end and block.ends_at > start):
            continue
        local_start, local_end = block.starts_at.astimezone(tz), block.ends_at.astimezone(tz)
        # Whole days off (local midnight to midnight) show in the all-day row.
        all_day = local_start.time() == local_end.time() == dt.time(0)
        events.append(
            {
                "id": f"timeoff-{block.pk}",
                "title": str(block.reason or _("Time off")),
                "start": local_start.date().isoformat() if all_day else local(block.starts_at),
                "end": local_end.date().isoformat() if all_day else local(block.ends_at),
                "allDay": all_day,
                "classNames": ["hk-timeoff"],
                "extendedProps": {
                    "kind": "timeoff",
                    "deleteUrl": reverse("therapists:time_off_delete", kwargs={"pk": block.pk}),
                },
            }
        )
    for open_start, open_end in working_intervals(
        therapist=therapist,
        start_date=first_day,
        days=days,
        weekly_hours=hours.weekly,
        overrides=hours.overrides,
        time_off=hours.time_off,
    ):
        events.append(
            {
                "start": local(open_start),
                "end": local(open_end),
                "display": "background",
                "classNames": ["hk-working"],
            }
        )
    return events


@dataclass
class TodayPanel:
    today: list[Any]
    upcoming: list[Any]
    pending_count: int


def therapist_today(*, therapist: TherapistProfile, now: dt.datetime | None = None) -> TodayPanel:
    """Today's visits (in the therapist's zone) and the next week's, for the dashboard."""
    now = now or timezone.now()
    tz = therapist.tz
    today = now.astimezone(tz).date()
    day_start, day_end = local_day_bounds(today, tz)
    week_end = local_day_bounds(today + dt.timedelta(days=7), tz)[1]
    statuses = (*Booking.ACTIVE_STATUSES, Booking.Status.COMPLETED)
    visits = list(
        therapist_bookings(therapist=therapist, start=day_start, end=week_end, statuses=statuses)
    )
    todays = [b for b in visits if b.starts_at < day_end]
    upcoming = [b for b in visits if b.starts_at >= day_end and b.is_active]
    pending = sum(1 for b in visits if b.status == Booking.Status.PENDING)
    return TodayPanel(today=todays, upcoming=upcoming[:10], pending_count=pending)


def visit_for_viewer(*, pk: int, user: Any) -> Booking | None:
    """The booking ``pk`` if ``user`` is its therapist or staff; otherwise None."""
    booking = (
        Booking.objects.select_related(
            "client__user", "service__modality", "therapist__user", "intake"
        )
        .filter(pk=pk)
        .first()
    )
    if booking is None or not user.is_authenticated:
        return None
    if user.is_staff or booking.therapist.user_id == user.pk:
        return booking
    return None


def feed_bookings(*, therapist: TherapistProfile, now: dt.datetime | None = None) -> list[Booking]:
    """What the calendar feed shows: visits from 30 days ago on, not cancelled or declined."""
    now = now or timezone.now()
    return list(
        therapist_bookings(
            therapist=therapist,
            start=now - dt.timedelta(days=30),
            end=now + dt.timedelta(days=366),
            statuses=(*Booking.ACTIVE_STATUSES, Booking.Status.COMPLETED),
        )
    )


# --- The booking flow ----------------------------------------------------------------------------


def _to_int(value: Any) -> int | None:
    return parse_id(value)


def bookable_service(therapist_id: Any, service_id: Any) -> Service | None:
    """The service if it exists, is offered, and its therapist is approved (and, when given,
    is the therapist in the query)."""
    sid = _to_int(service_id)
    if sid is None:
        return None
    service = (
        Service.objects.select_related("therapist__user", "modality")
        .filter(pk=sid, is_active=True, therapist__approval=TherapistProfile.Approval.APPROVED)
        .first()
    )
    if service is None:
        return None
    if therapist_id not in (None, "") and _to_int(therapist_id) != service.therapist_id:
        return None
    return service


@dataclass(frozen=True)
class BookingReview:
    """What the review page needs to know before the client confirms."""

    intake: Intake | None
    flags: list[CareFlag]
    # The flags that need a doctor's clearance: the client must acknowledge them to book.
    clearance: list[CareFlag]
    # What would stop this booking now, apart from the time itself and the acknowledgement
    # (``booking.policy``'s refusal, with the sentence to show), or None.
    refusal: BookingRefused | None
    # Whether ``starts_at`` is bookable now (None when no time was given).
    slot_free: bool | None


def booking_review(
    *,
    client: ClientProfile,
    therapist: TherapistProfile,
    service: Service,
    starts_at: datetime | None = None,
    now: datetime | None = None,
) -> BookingReview:
    now = now or timezone.now()
    refusal: BookingRefused | None = None
    try:
        intake: Intake | None = check_can_book(
            client=client,
            therapist=therapist,
            service=service,
            clearance_acknowledged=True,
            now=now,
        )
    except BookingRefused as exc:
        refusal = exc
        intake = intake_current(client=client)
    history = visit_history(client=client, before=starts_at or now)
    flags = care_flags(intake=intake, history=history) if intake is not None else []
    slot_free = None
    if starts_at is not None and refusal is None:
        slot_free = starts_at in available_slots(
            therapist=therapist,
            service=service,
            start_date=timezone.localtime(starts_at, therapist.tz).date(),
            days=1,
            client=client,
            now=now,
        )
    return BookingReview(
        intake=intake,
        flags=flags,
        clearance=[f for f in flags if f.level == CLEARANCE],
        refusal=refusal,
        slot_free=slot_free,
    )


# --- The client's history with us (care flags) ----------------------------------------------------


def visit_history(
    *, client: ClientProfile, before: datetime, exclude: Booking | None = None
) -> VisitHistory:
    """The client's completed visits with us that started before ``before``: how many, the day
    of the last one (in its therapist's zone), and how many in the last
    ``CARE_LONG_GAP_WEEKS``. Care flags read it so a regular is not told they are new."""
    visits = Booking.objects.filter(
        client=client, status=Booking.Status.COMPLETED, starts_at__lt=before
    )
    if exclude is not None:
        visits = visits.exclude(pk=exclude.pk)
    rows = list(visits.order_by("-starts_at").values_list("starts_at", "therapist__time_zone"))
    return _history(rows, before=before)


def visit_histories(*, visits: Sequence[Booking]) -> dict[int, VisitHistory]:
    """:func:`visit_history` of each of ``visits`` (by booking id, each visit itself left
    out), in one query whatever their number: the dispatcher renders a batch of reminders."""
    if not visits:
        return {}
    by_client: dict[int, list[tuple[int, datetime, str]]] = {}
    rows = (
        Booking.objects.filter(
            client_id__in={v.client_id for v in visits},
            status=Booking.Status.COMPLETED,
            starts_at__lt=max(v.starts_at for v in visits),
        )
        .order_by("-starts_at")
        .values_list("pk", "client_id", "starts_at", "therapist__time_zone")
    )
    for pk, client_id, starts_at, zone in rows:
        by_client.setdefault(client_id, []).append((pk, starts_at, zone))
    return {
        visit.pk: _history(
            [
                (starts_at, zone)
                for pk, starts_at, zone in by_client.get(visit.client_id, [])
                if starts_at < visit.starts_at and pk != visit.pk
            ],
            before=visit.starts_at,
        )
        for visit in visits
    }


def _history(rows: list[tuple[datetime, str]], *, before: datetime) -> VisitHistory:
    """From (starts_at, therapist's zone) of the completed visits before ``before``, newest
    first."""
    if not rows:
        return VisitHistory()
    since = before - timedelta(weeks=settings.CARE_LONG_GAP_WEEKS)
    last_start, last_zone = rows[0]
    return VisitHistory(
        completed=len(rows),
        last_completed_on=last_start.astimezone(zone_for(last_zone)).date(),
        recent=sum(1 for starts_at, _zone in rows if starts_at >= since),
    )
