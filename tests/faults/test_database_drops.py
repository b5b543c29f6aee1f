"""PostgreSQL drops the app's connections (pg_terminate_backend, every half second or so)
while clients book: what users see, and that no booking is lost or made twice.

Every connection to the suite's database is terminated, the web processes', the worker's and
beat's alike, as a failover or a restarted connection pooler would. A request whose
connection dies under it can fail (a 500 page); a user who got one tries again, as people
do. Afterwards each client has exactly one booking, every page answers, and every e-mail of
every booking arrives once.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from typing import Any

from tests.faults.stack import Browser, Stack, http_get, wait_for

DROP_SECONDS = float(os.environ.get("HOMEKNOTS_FAULTS_DROP_SECONDS", "20"))
SCENARIO = "db_drops"


def test_dropped_database_connections_lose_and_duplicate_no_booking(healthy: Stack) -> None:
    stack = healthy
    world = stack.world[SCENARIO]
    first_email = stack.last_email_id()
    rng = random.Random("drops")
    stop = threading.Event()
    terminated: list[int] = []

    def terminator() -> None:
        while not stop.is_set():
            terminated.append(stack.db.terminate_app_connections())
            stop.wait(rng.uniform(0.2, 0.8))

    statuses: Counter[str] = Counter()  # "<what> <status>"
    browsing: list[int] = []

    def visitor() -> None:
        # Someone looking around at the same time: the directory and the health check.
        while not stop.is_set():
            for path in ("/therapists/", "/healthz"):
                browsing.append(http_get(stack.web_port, path, timeout=30).status)
            time.sleep(0.1)

    threads = [threading.Thread(target=terminator), threading.Thread(target=visitor)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    first_try: dict[int, int] = {}
    booked_after_error: list[int] = []
    form_of = {}
    try:
        i = 0
        while i < len(world["clients"]) and time.monotonic() - started < DROP_SECONDS:
            browser = Browser(stack.web_port, world["clients"][i]["session"])
            form = {
                "therapist": world["therapist"],
                "service": world["service"],
                "starts_at": world["slots"][i],
            }
            form_of[i] = form
            page = browser.get(
                "/book/review/?therapist={therapist}&service={service}&starts_at={starts_at}".format(
                    **form
                )
            )
            statuses[f"review {page.status}"] += 1
            confirm = browser.post("/book/review/", form)
            statuses[f"confirm {confirm.status}"] += 1
            first_try[i] = confirm.status
            i += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    dropping_for = time.monotonic() - started

    # Connections are left alone now. Users whose confirm failed try again once.
    def rows_of(i: int) -> list[tuple[Any, ...]]:
        return stack.db.query(
            "SELECT b.id, b.status FROM booking_booking b "
            "JOIN clients_clientprofile c ON c.id = b.client_id "
            "JOIN accounts_user u ON u.id = c.user_id "
            "WHERE u.email = %s AND b.therapist_id = %s",
            (world["clients"][i]["email"], world["therapist"]),
        )

    lost = [i for i, status in first_try.items() if status == 302 and len(rows_of(i)) != 1]
    retries: Counter[int] = Counter()
    for i, status in first_try.items():
        if status != 302:
            if rows_of(i):
                booked_after_error.append(i)  # the booking was made; the answer was lost
            browser = Browser(stack.web_port, world["clients"][i]["session"])
            retries[browser.post("/book/review/", form_of[i]).status] += 1
    duplicated = [i for i in first_try if len(rows_of(i)) > 1]
    missing = [i for i in first_try if len(rows_of(i)) == 0]
    after = [http_get(stack.web_port, "/healthz").status for _ in range(5)]
    for i in first_try:
        browser = Browser(stack.web_port, world["clients"][i]["session"])
        after.append(browser.get("/dashboard/").status)
    try:
        delivered = stack.wait_delivered(first_email, expected=2 * len(first_try), timeout=150)
    except TimeoutError:
        delivered = None
    arrived = stack.mail.count_by_outbox_row()
    outbox = stack.emails_after(first_email)
    mail_duplicates = sum(arrived[pk] - 1 for pk, _, _ in outbox if arrived[pk] > 1)
    requests = sum(statuses.values()) + len(browsing)
    errors = sum(n for k, n in statuses.items() if k.endswith(" 500")) + browsing.count(500)

    figures: dict[str, Any] = {
        "dropping_seconds": round(dropping_for, 1),
        "connections_terminated": sum(terminated),
        "termination_rounds": len(terminated),
        "requests": requests,
        "requests_5xx": errors,
        "booking_steps": dict(statuses),
        "browsing": dict(Counter(browsing)),
        "bookings_attempted": len(first_try),
        "confirm_failed_but_booked": len(booked_after_error),
        "retries": dict(retries),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "requests_after_with_non_200": sum(1 for s in after if s != 200),
        "all_mail_delivered_after_seconds": round(delivered, 1) if delivered else None,
        "mail_duplicates": mail_duplicates,
    }
    stack.figures["database_drops"] = figures

    assert sum(terminated) > 0
    assert len(first_try) >= 10, figures
    assert lost == [] and duplicated == [] and missing == [], figures
    assert set(after) == {200}, figures
    assert delivered is not None, "some e-mails were not delivered"
    assert mail_duplicates == 0
    assert all(stack.processes[n].proc.poll() is None for n in ("web", "worker", "beat"))  # type: ignore[union-attr]
    wait_for(stack.web_ok, timeout=10)
