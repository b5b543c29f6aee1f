"""Data for the fault suite, written into its own database by the app's own code.

Run as ``python -m tests.faults.seed <command>`` with the suite's environment (stack.py);
prints one line of JSON.

- ``world``: one therapist per scenario (open every day 07:00-21:00, up to 12 visits a day,
  no minimum notice), bookable clients with a logged-in session each, and free times spaced
  three hours apart (well clear of the travel buffer and of each other).
- ``emails N TAG``: N outbox e-mails due now, queued without a nudge (a backlog for the
  dispatcher, as after an outage).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from importlib import import_module
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from booking.selectors import available_slots  # noqa: E402
from booking.templatetags.booking_tags import slot_value  # noqa: E402
from core import outbox  # noqa: E402
from tests import factories  # noqa: E402
from tests.booking.conftest import open_all_week  # noqa: E402

# scenario -> (clients, slots)
SCENARIOS = {
    "outage_stop": (10, 10),
    "outage_freeze": (10, 10),
    "db_drops": (40, 40),
    "race": (50, 6),
}
GAP = dt.timedelta(hours=3)


def session_for(user: Any) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def spaced(slots: list[dt.datetime], count: int) -> list[dt.datetime]:
    chosen: list[dt.datetime] = []
    for slot in slots:
        if not chosen or slot - chosen[-1] >= GAP:
            chosen.append(slot)
        if len(chosen) == count:
            break
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} free times, {count} wanted")
    return chosen


def world() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (clients, slots) in SCENARIOS.items():
        service = factories.ServiceFactory(
            therapist__user__email=f"therapist-{name}@faults.example",
            therapist__user__password=None,
            therapist__max_visits_per_day=12,
            therapist__min_notice_hours=0,
        )
        therapist = service.therapist
        open_all_week(therapist)
        people = []
        for i in range(clients):
            client = factories.BookableClientFactory(
                user__email=f"client-{name}-{i}@faults.example", user__password=None
            )
            people.append({"email": client.user.email, "session": session_for(client.user)})
        tomorrow = timezone.localtime(timezone.now(), therapist.tz).date() + dt.timedelta(days=1)
        free = available_slots(
            therapist=therapist, service=service, start_date=tomorrow, days=28, cached=False
        )
        out[name] = {
            "therapist": therapist.pk,
            "therapist_email": therapist.user.email,
            "service": service.pk,
            "clients": people,
            "slots": [slot_value(s) for s in spaced(free, slots)],
        }
    return out


def emails(count: int, tag: str) -> dict[str, Any]:
    with transaction.atomic():
        rows = [
            outbox.enqueue(
                kind=outbox.RENDERED,
                to=f"{tag}-{i}@faults.example",
                facts={"subject": f"Fault backlog {tag} {i}", "body": "A message in a backlog."},
                nudge=False,
            )
            for i in range(count)
        ]
    return {"ids": [row.pk for row in rows if row is not None]}


def main(argv: list[str]) -> None:
    command = argv[1]
    if command == "world":
        result = world()
    elif command == "emails":
        result = emails(int(argv[2]), argv[3])
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
