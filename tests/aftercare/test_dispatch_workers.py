"""The dispatcher in real Celery worker processes, on Redis and PostgreSQL (CI stage 2).

What is checked is what reaches the mail sink: every e-mail the workers write is parsed and
counted by its ``X-HomeKnots-Reminder`` header.

About "none twice" when a worker is killed: one moment cannot be made safe by any sender, the
moment between the mail server accepting a message and the row being marked sent
(docs/reliability.md measures it). These tests therefore freeze the worker (SIGSTOP), and kill
it only if no reminder is in exactly that moment (its e-mail written but its row not marked
sent); otherwise they let it run a few milliseconds and try again. Everywhere else, a kill
while rows are claimed, rendered, marked or being written must lose nothing and duplicate
nothing: the rows a dead worker claimed are sent by another once its claim lease (3 s here,
``WORKER_CLAIM_LEASE_SECONDS``) has run out.
"""

from __future__ import annotations

import datetime as dt
import email
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from aftercare.models import Reminder
from aftercare.tasks import dispatch_due_reminders
from tests import factories
from tests.conftest import WORKER_CLAIM_LEASE_SECONDS

pytestmark = pytest.mark.redis

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def mailed(mail_dir: Path) -> Counter[int]:
    """Reminder id → number of complete e-mails for it in the mail sink."""
    counts: Counter[int] = Counter()
    for path in mail_dir.glob("*.log"):
        chunks = path.read_bytes().split(SEPARATOR)
        for chunk in chunks[:-1]:  # the last chunk is empty or an unfinished write
            message = email.message_from_bytes(chunk.strip(b"\n"))
            counts[int(message["X-HomeKnots-Reminder"])] += 1
    return counts


def mailed_any(mail_dir: Path) -> set[int]:
    """Reminder ids that appear anywhere in the sink, finished writes or not."""
    ids = set()
    for path in mail_dir.glob("*.log"):
        for line in path.read_bytes().splitlines():
            if line.startswith(b"X-HomeKnots-Reminder: "):
                ids.add(int(line.split(b": ")[1]))
    return ids


def make_due_reminders(n: int, *, clients: int = 40) -> list[int]:
    profiles = factories.ClientProfileFactory.create_batch(clients)
    due = timezone.now() - dt.timedelta(minutes=10)
    Reminder.objects.bulk_create(
        Reminder(
            client=profiles[i % clients],
            kind=Reminder.Kind.CHECK_IN,
            due_at=due,
            next_attempt_at=due,
            subject="Checking in: how are you feeling?",
            body=f"Reminder {i}",
        )
        for i in range(n)
    )
    return list(Reminder.objects.order_by("pk").values_list("pk", flat=True))


def sent_count() -> int:
    return Reminder.objects.filter(status=Reminder.Status.SENT).count()


def wait_until(predicate, timeout: float = 120, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def children(pid: int) -> list[int]:
    """The pool processes of a worker: processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


def kill_mid_batch(pids: list[int], mail_dir: Path, *, attempts: int = 200) -> int:
    """SIGKILL ``pids`` at a moment where no reminder is between its e-mail and its commit.
    Returns how many reminders were sent when it struck."""
    for _ in range(attempts):
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        in_doubt = mailed_any(mail_dir) - set(
            Reminder.objects.filter(status=Reminder.Status.SENT).values_list("pk", flat=True)
        )
        if not in_doubt:
            sent = sent_count()
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            return sent
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        time.sleep(0.003)
    raise AssertionError("never found a moment to kill the worker")


def assert_each_sent_once(ids: list[int], mail_dir: Path) -> None:
    counts = mailed(mail_dir)
    missing = [pk for pk in ids if counts[pk] == 0]
    twice = {pk: n for pk, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} reminders never e-mailed, e.g. {missing[:5]}"
    assert not twice, f"reminders e-mailed more than once: {dict(list(twice.items())[:5])}"
    assert sorted(counts) == sorted(ids)
    statuses = Counter(Reminder.objects.values_list("status", flat=True))
    assert statuses == {Reminder.Status.SENT: len(ids)}


def test_two_workers_at_once_send_each_of_1000_reminders_exactly_once(celery_worker_process):
    workers = celery_worker_process(2, concurrency=2)
    ids = make_due_reminders(1000)

    for _ in range(4):  # beat ticks landing on both workers at once
        dispatch_due_reminders.delay()

    assert wait_until(lambda: sent_count() == 1000), f"only {sent_count()} of 1000 sent"
    time.sleep(1)  # anything sent twice would show up now
    assert_each_sent_once(ids, celery_worker_process.mail_dir)
    # Both worker processes took part (sent_by ends with the pool process id).
    pids = {
        int(name.rsplit(":", 1)[1]) for name in Reminder.objects.values_list("sent_by", flat=True)
    }
    senders = [w for w in workers if pids & set(children(w.pid))]
    assert len(senders) == 2, f"both workers should have sent some; pool pids used: {pids}"


def test_a_worker_killed_in_the_middle_loses_nothing_and_sends_nothing_twice(
    celery_worker_process,
):
    (worker,) = celery_worker_process(1, concurrency=2)
    ids = make_due_reminders(1000)
    dispatch_due_reminders.delay()
    dispatch_due_reminders.delay()

    assert wait_until(lambda: sent_count() >= 150, timeout=60)
    pool = children(worker.pid)
    sent_at_kill = kill_mid_batch([worker.pid, *pool], celery_worker_process.mail_dir)
    worker.wait(timeout=10)
    assert 0 < sent_at_kill < 1000, "the kill should land in the middle of the batch"
    # Nothing in flight was sent after the kill; what the dead worker had claimed waits for
    # its lease to run out.
    time.sleep(0.5)
    assert sent_count() == sent_at_kill
    time.sleep(WORKER_CLAIM_LEASE_SECONDS + 1)

    celery_worker_process(1, concurrency=2)
    dispatch_due_reminders.delay()  # the next beat tick

    assert wait_until(lambda: sent_count() == 1000), f"only {sent_count()} of 1000 sent"
    time.sleep(1)
    assert_each_sent_once(ids, celery_worker_process.mail_dir)


def test_a_pool_process_killed_mid_task_is_redelivered_and_finishes(celery_worker_process):
    """acks_late + task_reject_on_worker_lost: the worker requeues the task of a pool process
    that died, and the rows make the second run carry on where the first stopped."""
    (worker,) = celery_worker_process(1, concurrency=1)
    ids = make_due_reminders(600)
    dispatch_due_reminders.delay()

    assert wait_until(lambda: sent_count() >= 100, timeout=60)
    (child,) = children(worker.pid)
    sent_at_kill = kill_mid_batch([child], celery_worker_process.mail_dir)
    assert sent_at_kill < 600

    # The redelivered task carries on with what nobody claimed; what the dead process had
    # claimed is picked up by the next tick once its lease has run out.
    assert wait_until(lambda: not Reminder.objects.filter(status=Reminder.Status.PENDING).exists())
    time.sleep(WORKER_CLAIM_LEASE_SECONDS + 1)
    dispatch_due_reminders.delay()
    assert wait_until(lambda: sent_count() == 600), f"only {sent_count()} of 600 sent"
    time.sleep(1)
    assert_each_sent_once(ids, celery_worker_process.mail_dir)
    assert worker.poll() is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert wait_until(lambda: _answers(port), timeout=10)
    return proc


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(7) == b"+PONG\r\n"
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")
def test_reminders_due_while_the_broker_was_down_are_sent_when_it_returns(celery_worker_process):
    from kombu.exceptions import OperationalError

    from config.celery import app

    port = _free_port()
    broker = _redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        celery_worker_process(1, concurrency=2, broker_url=url)

        broker.terminate()  # the broker goes down …
        broker.wait(timeout=10)
        ids = make_due_reminders(50)  # … and the reminders fall due meanwhile
        with pytest.raises(OperationalError), app.connection_for_write(url) as conn:
            # Beat's tick cannot be queued while the broker is down.
            dispatch_due_reminders.apply_async(connection=conn, retry=False)
        time.sleep(2)
        assert sent_count() == 0

        broker = _redis(port)  # the broker is back; the worker reconnects by itself
        with app.connection_for_write(url) as conn:
            dispatch_due_reminders.apply_async(connection=conn)  # the next tick

        assert wait_until(lambda: sent_count() == 50, timeout=90), f"{sent_count()} of 50 sent"
        assert_each_sent_once(ids, celery_worker_process.mail_dir)
    finally:
        if broker.poll() is None:
            broker.terminate()
            broker.wait(timeout=10)


def test_real_workers_skip_stale_and_cancelled_and_unsubscribed(celery_worker_process):
    celery_worker_process(1)
    now = timezone.now()
    fresh = factories.ClientProfileFactory()
    quiet = factories.ClientProfileFactory(email_reminders=False)
    base = {"kind": Reminder.Kind.CHECK_IN, "subject": "s", "body": "b"}
    send = Reminder.objects.create(
        client=fresh,
        due_at=now,
        next_attempt_at=now,
        stale_after=now + dt.timedelta(hours=1),
        **base,
    )
    stale = Reminder.objects.create(
        client=fresh,
        due_at=now - dt.timedelta(days=2),
        next_attempt_at=now - dt.timedelta(days=2),
        stale_after=now - dt.timedelta(days=1),
        **base,
    )
    off = Reminder.objects.create(client=quiet, due_at=now, next_attempt_at=now, **base)
    booking = factories.BookingFactory(status="cancelled")
    cancelled = Reminder.objects.create(
        client=booking.client,
        booking=booking,
        due_at=now,
        next_attempt_at=now,
        **{**base, "kind": Reminder.Kind.VISIT_TOMORROW},
    )

    dispatch_due_reminders.delay()

    assert wait_until(
        lambda: not Reminder.objects.filter(status=Reminder.Status.PENDING).exists(), timeout=60
    )
    time.sleep(0.5)
    assert mailed(celery_worker_process.mail_dir) == Counter({send.pk: 1})
    states = {r.pk: (r.status, r.skip_reason) for r in Reminder.objects.all()}
    assert states[stale.pk] == ("skipped", "stale")
    assert states[off.pk] == ("skipped", "reminders_off")
    assert states[cancelled.pk] == ("cancelled", "")
