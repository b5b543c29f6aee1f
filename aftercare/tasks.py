"""Celery tasks for aftercare: thin, take primitives, safe to run any number of times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task

from core.delivery import worker_name

from .dispatch import reminders_dispatch_due
from .services import notes_nudges_enqueue


@shared_task(bind=True, name="aftercare.tasks.dispatch_due_reminders", ignore_result=True)
def dispatch_due_reminders(self: Any, now: str | None = None) -> dict[str, int | bool]:
    """Beat runs this every minute. It sends every due reminder no other run is sending (the
    rows are the state, so a lost or repeated run does no harm) and, if it stopped on its time
    budget with rows still due, queues one more run at once.

    ``now`` (ISO 8601) replaces the clock: operators and tests use it to send "as of" a moment.
    """
    moment = dt.datetime.fromisoformat(now) if now else None
    hostname = getattr(self.request, "hostname", None)
    worker = f"{hostname}:{worker_name().rsplit(':', 1)[-1]}" if hostname else worker_name()
    result = reminders_dispatch_due(now=moment, worker=worker)
    if result.more:
        dispatch_due_reminders.apply_async(kwargs={"now": now} if now else {})
    return result.as_dict()


@shared_task(name="aftercare.tasks.nudge_for_notes", ignore_result=True)
def nudge_for_notes() -> int:
    """Beat runs this every hour: each visit that ended a few hours ago without notes gets one
    e-mail to its therapist (the outbox key makes it one, however often this runs)."""
    return notes_nudges_enqueue()
