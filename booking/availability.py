"""Cached free times for anonymous visitors: the slot lists behind the directory's "next free",
the profile's times, the slots API and "first available".

An entry is one therapist's bookable start times for one service over a date range, as seen
by nobody in particular (no client address, no client bookings). Its key holds the
therapist's ``availability_version`` (``therapists.availability`` bumps it on every change to
what the engine reads, in the transaction of the change), so a change is never served stale,
in any process: the version is read from the therapist's row, not from the cache.

What moves with the clock is handled on read, not by recomputing:

- the entry is computed with the notice measured from the moment it was computed and no
  booking horizon; a reader at a later moment drops the starts before its own
  ``now + notice`` and after its own ``now + horizon``. Whether a start fits never depends
  on the other starts, so this is exactly the fresh answer;
- a reader whose clock is behind the moment of computation (another machine) recomputes;
- entries live one slot step, which bounds memory and any clock skew.

A signed-in client's own view (their address decides travel and area, their own bookings
block times) is computed every time, never cached. ``tests/booking/test_availability_cache.py``
changes random inputs through the services and asserts the cached answer always equals a
fresh computation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from booking.models import Booking
from therapists.availability import availability_changed
from therapists.models import Service, TherapistProfile

# Bump when the engine's rules or the entry format change: old entries are then never read.
FORMAT = 1

Entry = tuple[float, tuple[int, ...]]  # (computed at, epoch seconds of each start)


def _key(therapist: TherapistProfile, service: Service, start: date, days: int) -> str:
    return (
        f"hk:slots:{FORMAT}:{settings.BOOKING_SLOT_STEP_MINUTES}:{therapist.pk}:"
        f"{therapist.availability_version}:{service.pk}:{start.isoformat()}:{days}"
    )


def _ttl() -> int:
    return 60 * settings.BOOKING_SLOT_STEP_MINUTES


def _read(entry: Entry | None, therapist: TherapistProfile, now: datetime) -> list[datetime] | None:
    if entry is None:
        return None
    computed_at, starts = entry
    moment = now.timestamp()
    if moment < computed_at:
        return None  # computed "in the future" by a clock ahead of ours: not ours to trim
    earliest = moment + 3600 * therapist.min_notice_hours
    latest = moment + 7 * 86400 * settings.BOOKING_HORIZON_WEEKS
    return [datetime.fromtimestamp(s, UTC) for s in starts if earliest <= s <= latest]


def _entry(slots: Iterable[datetime], now: datetime) -> Entry:
    return (now.timestamp(), tuple(int(s.timestamp()) for s in slots))


Compute = Callable[[list[tuple[TherapistProfile, Service]]], dict[int, list[datetime]]]


def cached_slots(
    *,
    wanted: list[tuple[TherapistProfile, Service]],
    start_date: Callable[[TherapistProfile], date],
    days: int,
    now: datetime,
    compute: Compute,
    rows_read_now: bool = False,
) -> dict[int, list[datetime]]:
    """Free times per service id for each (therapist, service) in ``wanted``: one cache round
    trip for all of them, and ``compute`` (which must ignore the booking horizon and take
    the notice from ``now``) called once for the ones missing, whose answers are stored.

    The rows are read again from the database (one query) unless ``rows_read_now`` says
    the caller loaded them in this request, after any change it made: a row held across a
    change carries an old version, and an answer computed from its old fields must never be
    stored under the new version.
    """
    if not rows_read_now:
        rows = Service.objects.select_related("therapist").in_bulk([s.pk for _, s in wanted])
        wanted = [(rows[s.pk].therapist, rows[s.pk]) for _, s in wanted if s.pk in rows]
    keys = {
        service.pk: _key(therapist, service, start_date(therapist), days)
        for therapist, service in wanted
    }
    found = cache.get_many(list(keys.values()))
    result: dict[int, list[datetime]] = {}
    missing: list[tuple[TherapistProfile, Service]] = []
    for therapist, service in wanted:
        slots = _read(found.get(keys[service.pk]), therapist, now)
        if slots is None:
            missing.append((therapist, service))
        else:
            result[service.pk] = slots
    if missing:
        computed = compute(missing)
        cache.set_many(
            {keys[service.pk]: _entry(computed[service.pk], now) for _, service in missing},
            timeout=_ttl(),
        )
        for therapist, service in missing:
            result[service.pk] = _read(_entry(computed[service.pk], now), therapist, now) or []
    return result


# The therapist whose row this context holds locked (``booking.services._calendar_lock``).
_locked_therapist: ContextVar[int | None] = ContextVar("hk_locked_therapist", default=None)


@contextmanager
def therapist_locked(therapist_id: int) -> Iterator[None]:
    token = _locked_therapist.set(therapist_id)
    try:
        yield
    finally:
        _locked_therapist.reset(token)


def _booking_changed(sender: type[Booking], instance: Booking, **kwargs: object) -> None:
    """A booking saved or deleted outside the services (admin, a shell, a data fix).

    Inside the services the therapist's row is locked and ``_record`` bumps in the same
    transaction. A write that does not hold that lock bumps once it has committed: bumping
    before would wait on the row a booking in flight holds, while that booking waits on this
    write's overlapping row (the exclusion constraint), a deadlock. Until the bump lands a
    reader may still see the kept list of a moment ago, as any reader may during a commit;
    a kept list is never the word on a booking (the services check again under the lock), and
    lives one slot step at most."""
    therapist_id = instance.therapist_id
    if _locked_therapist.get() == therapist_id:
        return
    transaction.on_commit(lambda: availability_changed(therapist_id=therapist_id), robust=True)


def connect() -> None:
    """Any save or delete of a booking outside the services (admin, a shell) bumps too; the
    services bump in ``booking.services._record`` because they write with ``update()``."""
    post_save.connect(_booking_changed, sender=Booking, dispatch_uid="avail-booking")
    post_delete.connect(_booking_changed, sender=Booking, dispatch_uid="avail-booking-del")
