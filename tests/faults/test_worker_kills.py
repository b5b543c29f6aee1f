"""Celery workers SIGKILLed while they dispatch a backlog of e-mails: nothing is lost, and a
duplicate can only be the one message in flight at the moment of a kill.

The backlog is outbox rows queued without a nudge (as after an outage); dispatch runs are
queued the way beat queues them. The pool process sending mail is killed at random moments
while mail is flowing (Celery's master forks a new one, and the task, acknowledged late, is
given to it); once the whole worker is killed and started again. Rows a dead process had
claimed go back to pending when its lease (10 s here) runs out.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from typing import Any

from celery import Celery

from tests.faults.stack import Stack, wait_for

BACKLOG = int(os.environ.get("HOMEKNOTS_FAULTS_BACKLOG", "1000"))
KILL_SECONDS = float(os.environ.get("HOMEKNOTS_FAULTS_KILL_SECONDS", "40"))
WHOLE_WORKER_KILLS = 1
TAG = "backlog"


def dispatcher(stack: Stack) -> Celery:
    """A client of the private broker that queues dispatch runs, as beat does."""
    return Celery("faults-client", broker=stack.redis.url(0), set_as_current=False)


def test_killed_workers_lose_no_message_and_duplicate_only_what_was_in_flight(
    healthy: Stack,
) -> None:
    stack = healthy
    client = dispatcher(stack)
    rng = random.Random(os.environ.get("HOMEKNOTS_FAULTS_SEED", "faults"))
    first = stack.last_email_id()
    ids = stack.seed("emails", str(BACKLOG), TAG)["ids"]
    assert len(ids) == BACKLOG

    def arrived() -> list[float]:
        return [m.at for m in stack.mail.snapshot() if m.to.startswith(f"{TAG}-")]

    def run_dispatch() -> None:
        client.send_task("core.tasks.dispatch_outbox")

    kills = mid_dispatch = whole = stalls = processes = 0
    resumed: list[float] = []  # seconds from a kill until mail flowed again
    started = time.monotonic()
    run_dispatch()
    whole_at = {KILL_SECONDS / 2}
    while time.monotonic() - started < KILL_SECONDS and len(set(arrived())) < BACKLOG:
        before = len(arrived())
        try:
            # Mail is flowing again (a new pool process has claimed rows and is sending) …
            resumed.append(wait_for(lambda b=before: len(arrived()) > b, timeout=15, every=0.01))
        except TimeoutError:
            stalls += 1
            run_dispatch()  # everything left may be held by dead processes' claims: wait
            continue
        # … let it run for a random moment, then kill the pool processes.
        time.sleep(rng.uniform(0.0, 0.15))
        due_whole = [t for t in whole_at if time.monotonic() - started > t]
        times = arrived()
        flowing = bool(times) and time.monotonic() - times[-1] < 0.1
        if due_whole and whole < WHOLE_WORKER_KILLS:
            whole_at.discard(due_whole[0])
            stack.kill("worker", signal.SIGKILL)  # the master and its pool, as by the OOM killer
            whole += 1
            stack.restart_worker()
            processes += 2
        else:
            for pid in stack.children("worker"):
                try:
                    os.kill(pid, signal.SIGKILL)
                    processes += 1
                except ProcessLookupError:
                    continue
        kills += 1
        mid_dispatch += flowing
        run_dispatch()
    killing_for = time.monotonic() - started

    # After the last kill: leases run out, dispatch runs (beat's, and ours) send the rest.
    def all_sent() -> bool:
        run_dispatch()
        rows = stack.emails_after(first)
        return all(status == "sent" for _, _, status in rows)

    settled = wait_for(all_sent, timeout=120, every=3, what="every backlog row to be sent")
    time.sleep(1)  # the last messages' bytes reach the sink
    counts = stack.mail.count_by_outbox_row()
    rows = stack.emails_after(first)
    lost = [pk for pk, _, _ in rows if counts[pk] == 0]
    duplicated = {pk: counts[pk] for pk, _, _ in rows if counts[pk] > 1}
    extra = sum(n - 1 for n in duplicated.values())
    figures: dict[str, Any] = {
        "backlog": BACKLOG,
        "kills": kills,
        "kills_while_mail_was_flowing": mid_dispatch,
        "pool_processes_killed": processes,
        "whole_worker_kills": whole,
        "killing_seconds": round(killing_for, 1),
        "mail_flowing_again_after_kill_seconds": {
            "median": round(sorted(resumed)[len(resumed) // 2], 2) if resumed else None,
            "max": round(max(resumed), 2) if resumed else None,
        },
        "stalls_over_15s": stalls,
        "all_sent_after_last_kill_seconds": round(settled, 1),
        "lost": len(lost),
        "duplicate_deliveries": extra,
        "duplicates_per_100_kills": round(100 * extra / max(kills, 1), 2),
        "statuses": dict(Counter(status for _, _, status in rows)),
    }
    stack.figures["worker_kills"] = figures

    assert len(rows) == BACKLOG
    assert lost == []
    # The documented bound (docs/reliability.md): a killed process can duplicate only the one
    # message it was sending, and only if it died between the message's last byte and the mark
    # leaving for the database. The rate per 100 kills is measured and reported, not asserted:
    # a few dozen kills cannot tell 1 in 100 from 3 in 100.
    assert extra <= processes, figures
    assert all(n <= 2 for n in duplicated.values()), duplicated


WORST_KILLS = int(os.environ.get("HOMEKNOTS_FAULTS_WORST_KILLS", "5"))


def test_workers_killed_the_moment_the_mail_server_has_a_message_lose_nothing(
    healthy: Stack,
) -> None:
    """The worst moment for a kill: the mail server has the whole message and has not answered
    yet. The dispatcher wrote the mark right after the message's last byte (core/smtp.py), so
    the kill races that one write; a kill that wins it costs one duplicate."""
    stack = healthy
    client = dispatcher(stack)
    first = stack.last_email_id()
    tag = "worst"
    stack.seed("emails", "300", tag)
    killed: list[str] = []  # Message-IDs in flight at each kill
    last_kill = [0.0]

    def kill_now(message: Any) -> None:
        # In the mail server's thread, before it answers 250.
        if len(killed) >= WORST_KILLS or not str(message["To"]).startswith(f"{tag}-"):
            return
        if time.monotonic() - last_kill[0] < 2:  # let a new pool process come up
            return
        for pid in stack.children("worker"):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        last_kill[0] = time.monotonic()
        killed.append(message["Message-ID"])

    stack.mail.on_data = kill_now
    started = time.monotonic()
    try:
        while len(killed) < WORST_KILLS and time.monotonic() - started < 60:
            client.send_task("core.tasks.dispatch_outbox")
            time.sleep(1)
    finally:
        stack.mail.on_data = None

    def all_sent() -> bool:
        client.send_task("core.tasks.dispatch_outbox")
        return all(status == "sent" for _, _, status in stack.emails_after(first))

    wait_for(all_sent, timeout=120, every=3, what="every row to be sent")
    time.sleep(1)
    by_message_id = stack.mail.count_by_message_id()
    counts = stack.mail.count_by_outbox_row()
    rows = stack.emails_after(first)
    lost = [pk for pk, _, _ in rows if counts[pk] == 0]
    extra = sum(counts[pk] - 1 for pk, _, _ in rows if counts[pk] > 1)
    in_flight_duplicated = sum(1 for mid in set(killed) if by_message_id[mid] > 1)
    stack.figures["worker_kills_at_the_worst_moment"] = {
        "kills": len(killed),
        "messages_in_flight_at_a_kill": len(set(killed)),
        "of_which_sent_twice": in_flight_duplicated,
        "duplicate_deliveries": extra,
        "lost": len(lost),
    }
    assert len(killed) == WORST_KILLS
    assert lost == []
    # Each kill stopped two pool processes, each with at most one message in flight.
    assert extra <= 2 * len(killed)
