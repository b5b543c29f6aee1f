"""Redis (broker and cache) stopped, then frozen, for about a minute under the production
processes: users book and sign up as usual, /healthz says so, and every e-mail arrives once
after Redis is back."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.faults.stack import Browser, Response, Stack, http_get, wait_for

OUTAGE_SECONDS = float(os.environ.get("HOMEKNOTS_FAULTS_OUTAGE_SECONDS", "60"))
PAGE_SECONDS = 3.0  # what a user waits at most for a page while Redis is away
HEALTH_SECONDS = 2.0  # what a load balancer waits at most for /healthz
BOOKINGS = 10
SIGNUPS = 3
VISIT = re.compile(r"^/visits/(\d+)/$")


@dataclass
class Step:
    what: str
    response: Response


def book(stack: Stack, world: dict[str, Any], i: int) -> list[Step]:
    """One client's booking, as a browser does it: the review page, confirm, the visit."""
    person = world["clients"][i]
    browser = Browser(stack.web_port, person["session"])
    form = {"therapist": world["therapist"], "service": world["service"]}
    form["starts_at"] = world["slots"][i]
    steps = [
        Step(
            "review page",
            browser.get(
                "/book/review/?therapist={therapist}&service={service}&starts_at={starts_at}".format(
                    **form
                )
            ),
        )
    ]
    steps.append(Step("confirm", browser.post("/book/review/", form)))
    if VISIT.match(steps[-1].response.location):
        steps.append(Step("visit page", browser.get(steps[-1].response.location)))
    return steps


def sign_up(stack: Stack, address: str) -> list[Step]:
    browser = Browser(stack.web_port)
    steps = [Step("sign-up page", browser.get("/accounts/signup/"))]
    password = "a-Strong-fault-pass-42"
    steps.append(
        Step(
            "sign up",
            browser.post(
                "/accounts/signup/",
                {
                    "first_name": "Fault",
                    "last_name": "Tester",
                    "email": address,
                    "password1": password,
                    "password2": password,
                },
            ),
        )
    )
    if steps[-1].response.status == 302:
        steps.append(Step("next page", browser.get(steps[-1].response.location)))
    return steps


def outage(stack: Stack, scenario: str, *, freeze: bool) -> dict[str, Any]:
    world = stack.world[scenario]
    first_email = stack.last_email_id()
    signups = [f"signup-{scenario}-{i}@faults.example" for i in range(SIGNUPS)]

    started = time.monotonic()
    if freeze:
        stack.redis.freeze()
    else:
        stack.redis.kill()
    health = [http_get(stack.web_port, "/healthz", timeout=30)]
    bookings = [book(stack, world, i) for i in range(BOOKINGS)]
    accounts = [sign_up(stack, address) for address in signups]
    while time.monotonic() - started < OUTAGE_SECONDS:
        health.append(http_get(stack.web_port, "/healthz", timeout=30))
        time.sleep(2)
    down_for = time.monotonic() - started

    back = time.monotonic()
    if freeze:
        stack.redis.thaw()
    else:
        stack.redis.start()
    healthy_after = wait_for(
        lambda: http_get(stack.web_port, "/healthz", timeout=10).status == 200,
        timeout=30,
        every=0.5,
        what="/healthz to answer 200 again",
    )
    expected_mails = 2 * BOOKINGS + SIGNUPS
    try:
        delivered_after = stack.wait_delivered(first_email, expected=expected_mails, timeout=150)
    except TimeoutError:
        delivered_after = None
    recovery = time.monotonic() - back

    pages = [step for steps in bookings + accounts for step in steps]
    figures = {
        "redis_down_seconds": round(down_for, 1),
        "pages": len(pages),
        "pages_5xx": sum(1 for s in pages if s.response.status >= 500),
        "slowest_page_seconds": round(max(s.response.seconds for s in pages), 2),
        "slowest_page": max(pages, key=lambda s: s.response.seconds).what,
        "healthz_first_seconds": round(health[0].seconds, 2),
        "healthz_slowest_seconds": round(max(r.seconds for r in health), 2),
        "healthz_statuses_while_down": dict(Counter(r.status for r in health)),
        "healthz_200_again_after_seconds": round(healthy_after, 1),
        "all_mail_delivered_after_seconds": (
            round(delivered_after, 1) if delivered_after is not None else "not within 150 s"
        ),
        "recovery_seconds": round(recovery, 1),
    }
    stack.figures[f"redis_{'frozen' if freeze else 'stopped'}"] = figures

    # What users saw: their normal pages, in time.
    for steps in bookings:
        assert [s.what for s in steps] == ["review page", "confirm", "visit page"], steps
        review, confirm, visit = (s.response for s in steps)
        assert review.status == 200
        assert confirm.status == 302 and VISIT.match(confirm.location)
        assert visit.status == 200
    for steps in accounts:
        page, post, after = (s.response for s in steps)
        assert page.status == 200 and post.status == 302 and after.status == 200
    slow = [(s.what, round(s.response.seconds, 2)) for s in pages]
    assert all(s.response.seconds < PAGE_SECONDS for s in pages), slow
    # The load balancer learns in time that Redis is away, and that it is back.
    assert all(r.status == 503 and '"broker": "down"' in r.body for r in health), health
    assert all(r.seconds < HEALTH_SECONDS for r in health), [r.seconds for r in health]
    assert healthy_after < 30
    # Nothing lost: every booking is a row, every e-mail arrived once.
    booked = {int(VISIT.match(s[1].response.location).group(1)) for s in bookings}  # type: ignore[union-attr]
    rows = stack.db.query(
        "SELECT b.id, u.email, b.status FROM booking_booking b "
        "JOIN clients_clientprofile c ON c.id = b.client_id "
        "JOIN accounts_user u ON u.id = c.user_id WHERE b.therapist_id = %s",
        (world["therapist"],),
    )
    assert {pk for pk, _, _ in rows} == booked
    assert sorted(email for _, email, _ in rows) == sorted(
        p["email"] for p in world["clients"][:BOOKINGS]
    )
    assert delivered_after is not None, "some e-mails were not delivered after Redis came back"
    outbox = stack.emails_after(first_email)
    arrived = stack.mail.count_by_outbox_row()
    assert len(outbox) == expected_mails
    assert {pk: arrived[pk] for pk, _, _ in outbox} == {pk: 1 for pk, _, _ in outbox}
    delivered = Counter((m.to, m.subject) for m in stack.mail.snapshot() if m.at >= started)
    recipients = {to for to, _ in delivered}
    assert recipients >= {p["email"] for p in world["clients"][:BOOKINGS]} | set(signups)
    assert sum(n for (to, _), n in delivered.items() if to == world["therapist_email"]) == BOOKINGS
    assert max(delivered.values()) == 1, delivered
    # The processes rode it out: none died.
    assert all(stack.processes[name].proc.poll() is None for name in ("web", "worker", "beat"))  # type: ignore[union-attr]
    return figures


def test_users_book_and_sign_up_while_redis_is_stopped_and_every_mail_arrives_once(
    healthy: Stack,
) -> None:
    outage(healthy, "outage_stop", freeze=False)


def test_users_book_and_sign_up_while_redis_is_frozen_and_every_mail_arrives_once(
    healthy: Stack,
) -> None:
    outage(healthy, "outage_freeze", freeze=True)
