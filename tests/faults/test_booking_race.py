"""Fifty clients confirm the same free time at the same moment, over HTTP, against gunicorn
and PostgreSQL: exactly one gets the visit, the others are told the time is taken and offered
others, nobody gets an error page. A few rounds, one free time each."""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from typing import Any

from tests.faults.stack import Browser, Response, Stack

ROUNDS = int(os.environ.get("HOMEKNOTS_FAULTS_RACE_ROUNDS", "3"))
SCENARIO = "race"
VISIT = re.compile(r"^/visits/(\d+)/$")


def kind(response: Response) -> str:
    if response.status >= 500:
        return f"error {response.status}"
    if response.status == 302 and VISIT.match(response.location):
        return "booked"
    if response.status == 200 and "no longer available" in response.body:
        return "told it is taken"
    if response.status == 302:
        return f"sent to {response.location.split('?')[0]}"  # e.g. "busy, try again"
    return f"other {response.status}"


def confirm(
    start: threading.Barrier,
    results: list[Response | None],
    i: int,
    browser: Browser,
    form: dict[str, Any],
) -> None:
    start.wait()  # all fifty threads post together
    results[i] = browser.post("/book/review/", form)


def test_fifty_clients_racing_for_one_time_make_exactly_one_booking(healthy: Stack) -> None:
    stack = healthy
    world = stack.world[SCENARIO]
    rounds: list[dict[str, Any]] = []
    for slot in world["slots"][:ROUNDS]:
        form = {"therapist": world["therapist"], "service": world["service"], "starts_at": slot}
        browsers = [Browser(stack.web_port, p["session"], timeout=60) for p in world["clients"]]
        results: list[Response | None] = [None] * len(browsers)
        start = threading.Barrier(len(browsers))

        threads = [
            threading.Thread(target=confirm, args=(start, results, i, b, form))
            for i, b in enumerate(browsers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        answered = [r for r in results if r is not None]
        kinds = Counter(kind(r) for r in answered)
        rows = stack.db.query(
            "SELECT count(*) FROM booking_booking WHERE therapist_id = %s "
            "AND starts_at = %s::timestamptz AND status IN ('pending', 'awaiting_clearance', "
            "'confirmed')",
            (world["therapist"], slot),
        )
        rounds.append(
            {
                "answers": dict(kinds),
                "rows": rows[0][0],
                "slowest_seconds": round(max(r.seconds for r in answered), 2),
            }
        )
    stack.figures["booking_race"] = {"clients": len(world["clients"]), "rounds": rounds}

    for result in rounds:
        assert result["rows"] == 1, rounds
        assert result["answers"].get("booked") == 1, rounds
        assert not any(k.startswith(("error", "other")) for k in result["answers"]), rounds
        assert sum(result["answers"].values()) == len(world["clients"]), rounds
