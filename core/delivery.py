"""The one dispatcher: sends every due row of every registered queue, each once.

A *queue* is a table of :class:`core.models.Delivery` rows plus the code that loads, decides
on and builds its messages (:class:`Queue`). Two are registered: the outbox (``core.outbox``)
and the aftercare reminders (``aftercare.dispatch``). Both go through the same claim
protocol, on SQLite and on PostgreSQL alike:

1. **claim** a batch with one conditional UPDATE::

       UPDATE … SET status='sending', claim_token=:token
        WHERE status='pending' AND id IN (SELECT id … WHERE status='pending'
              AND next_attempt_at <= now ORDER BY next_attempt_at, id LIMIT :n
              [FOR UPDATE SKIP LOCKED])

   The rows that carry our token are ours; a row another dispatcher claimed first is not
   (``SKIP LOCKED`` on PostgreSQL only keeps concurrent claimers from waiting on each other;
   SQLite runs one write at a time). No transaction is held while mail is sent.
2. **load** the batch with what building its messages needs, in a few bulk queries;
3. per row: **decide** (no longer wanted → SKIPPED/CANCELLED), **build**, **send** over one
   mail connection, then **mark** SENT with a conditional UPDATE on our token. On PostgreSQL
   that UPDATE commits with ``synchronous_commit = off``: the worker does not wait for the WAL
   flush, so the moment between the mail server's acceptance and the mark is one round trip.
   A failed send is counted and retried with a back-off, FAILED after ``MAX_ATTEMPTS``.
4. While it works through a batch the dispatcher renews its claim (``claimed_at``) every
   quarter of ``CLAIM_LEASE``; a worker that dies stops renewing, and once the lease has run
   out any dispatcher puts its rows back to PENDING. Each renewal also re-reads which rows are
   still ours, so a worker paused past its lease (and overtaken) skips what another took.

The guarantee is at-least-once with a duplicate only when a worker dies between the mail
server's acceptance and the mark; every attempt carries the same Message-ID so mail systems
that de-duplicate show it once (docs/reliability.md has the measured figure).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.models import Delivery
from core.smtp import on_data_sent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = int(getattr(settings, "DELIVERY_MAX_ATTEMPTS", 5))
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=1)
# How long a claim holds without renewal; a live dispatcher renews it every quarter of this,
# and one send is bounded by EMAIL_TIMEOUT, well inside it.
CLAIM_LEASE = dt.timedelta(seconds=int(getattr(settings, "DELIVERY_CLAIM_LEASE_SECONDS", 60)))
RENEW_EVERY = CLAIM_LEASE / 4
# One run stops claiming after this, well inside Celery's soft time limit; if rows remain due,
# the task queues another run at once.
TIME_BUDGET = dt.timedelta(seconds=45)
BATCH = 50

SEND = "send"


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


@dataclass
class DispatchResult:
    sent: int = 0
    skipped: int = 0
    cancelled: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0
    more: bool = False  # stopped on the time budget with due rows left

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)

    def add(self, other: DispatchResult) -> None:
        for name, value in asdict(other).items():
            if name == "more":
                self.more = self.more or bool(value)
            else:
                setattr(self, name, getattr(self, name) + value)


class Queue:
    """One table of rows to send. Subclasses say how to load, decide and build."""

    name: ClassVar[str]
    model: ClassVar[type[Delivery]]

    def load(self, rows: QuerySet[Any]) -> list[Any]:
        """The claimed rows with what :meth:`decide` and :meth:`build` need, in bulk."""
        return list(rows)

    def decide(self, row: Any, *, now: dt.datetime) -> tuple[str, str]:
        """(status, reason) the row should end in without sending, or (``SEND``, "")."""
        if row.stale_after is not None and now > row.stale_after:
            return Delivery.Status.SKIPPED, "stale"
        return SEND, ""

    def build(self, row: Any, *, now: dt.datetime) -> EmailMessage:
        raise NotImplementedError

    def copy_fields(self, row: Any, message: EmailMessage) -> dict[str, Any]:
        """What the message said, kept on the row after an attempt (sent or failed)."""
        return {}

    def sent_fields(self, row: Any, message: EmailMessage) -> dict[str, Any]:
        """Extra columns to write with SENT (by default, the copy)."""
        return self.copy_fields(row, message)

    def skip_fields(self, row: Any, status: str, reason: str) -> dict[str, Any]:
        return {}


_QUEUES: dict[str, Queue] = {}


def register(queue: Queue) -> Queue:
    """Called from each app's ``AppConfig.ready``: the dispatcher imports no app."""
    _QUEUES[queue.name] = queue
    return queue


def queues() -> dict[str, Queue]:
    return dict(_QUEUES)


def get_queue(name: str) -> Queue:
    return _QUEUES[name]


# --- Sending -----------------------------------------------------------------------------------


class Mailer:
    """One mail connection for a whole run (one SMTP session, not one per message), opened
    again after an error so one bad send does not break the rest."""

    def __init__(self) -> None:
        self._connection: Any = None

    def send(self, message: EmailMessage) -> None:
        if self._connection is None:
            self._connection = mail.get_connection()
            self._connection.open()
        message.connection = self._connection
        try:
            sent = self._connection.send_messages([message])
        except Exception:
            self.close()
            raise
        if sent != 1:
            self.close()
            raise OSError("the mail backend did not accept the message")

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # closing a broken SMTP session may fail too; nothing to keep
                logger.warning("closing the mail connection failed", exc_info=True)
            self._connection = None


def _due(model: type[Delivery], now: dt.datetime) -> QuerySet[Any]:
    return model._default_manager.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)


def claim(
    model: type[Delivery],
    *,
    now: dt.datetime,
    worker: str,
    limit: int = BATCH,
    pk: int | None = None,
) -> str | None:
    """Claim up to ``limit`` due rows (or only row ``pk``) for this dispatcher. Returns the
    claim token if any row was won, else None (nothing due, or another dispatcher won)."""
    token = uuid.uuid4().hex
    due = _due(model, now)
    if pk is not None:
        due = due.filter(pk=pk)
    ids = due.order_by("next_attempt_at", "pk").values("pk")[:limit]
    if connection.features.has_select_for_update_skip_locked:
        ids = ids.select_for_update(skip_locked=True)
    with transaction.atomic():
        won = model._default_manager.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SENDING,
            claim_token=token,
            claimed_at=timezone.now(),
            sent_by=worker,
            updated_at=timezone.now(),
        )
    return token if won else None


@contextmanager
def _marks_without_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, this run's writes (claims and marks of delivery rows, nothing else) commit
    without waiting for the WAL flush: one round trip less between the mail server's acceptance
    and the mark. A killed worker cannot lose such a commit (the server has it); only a crash of
    the database server could, and then the row is sent again with the same Message-ID."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DROPPED:
            connection.close()  # the setting went with the connection


# What psycopg raises (through Django) when the server or something between drops the
# connection: a failover, a restarted pooler, pg_terminate_backend.
DROPPED = (OperationalError, InterfaceError)


def _surviving_a_dropped_connection(write: Callable[[], int], *, attempts: int = 3) -> int:
    """Run ``write`` (one idempotent conditional UPDATE); if the database connection was
    dropped, close it and run it again on a new one, a few times.

    The mark is the one write that must not be lost to a dropped connection: the message has
    gone, and an unmarked row is sent again once its lease runs out (the fault suite counted
    six duplicates out of 80 e-mails with connections terminated twice a second)."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except DROPPED as exc:
            if attempt == attempts or connection.in_atomic_block:
                raise
            logger.warning("database connection lost (%s); writing again on a new one", exc)
            connection.close()
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def _failure_fields(row: Delivery, exc: BaseException, *, now: dt.datetime) -> dict[str, Any]:
    attempts = row.attempts + 1
    fields: dict[str, Any] = {
        "attempts": attempts,
        "last_error": f"{type(exc).__name__}: {exc}"[:2000],
        "sent_at": None,
        "claim_token": "",
        "claimed_at": None,
        "updated_at": timezone.now(),
    }
    if attempts >= MAX_ATTEMPTS:
        fields["status"] = Delivery.Status.FAILED
        logger.error(
            "%s %s failed for good after %s attempts: %s", row._meta.label, row.pk, attempts, exc
        )
    else:
        fields["status"] = Delivery.Status.PENDING
        fields["next_attempt_at"] = now + backoff(attempts)
        logger.warning(
            "%s %s send failed (attempt %s), retrying: %s", row._meta.label, row.pk, attempts, exc
        )
    return fields


# Hand-written conditional UPDATEs by (table, columns): one per message sent, where building
# the ORM's UPDATE cost more than running it (docs/performance.md "Dispatcher").
_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _update_held(
    model: type[Delivery], *, pk: int, token: str, status: str, fields: dict[str, Any]
) -> int:
    """``UPDATE … SET fields WHERE id = pk AND status = status AND claim_token = token``: the
    conditional write on one row we hold, as ``QuerySet.update`` would write it. Returns the
    number of rows changed (0: the row is not ours any more)."""
    meta = model._meta
    columns = {f.name: f for f in meta.concrete_fields}
    column = {f.name: str(f.column) for f in meta.concrete_fields}
    names = tuple(fields)
    key = (connection.vendor, meta.label, names)
    statement = _STATEMENTS.get(key)
    if statement is None:
        qn = connection.ops.quote_name
        sets = ", ".join(f"{qn(column[name])} = %s" for name in names)
        statement = (
            f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(column[meta.pk.name])} = %s"
            f" AND {qn(column['status'])} = %s"
            f" AND {qn(column['claim_token'])} = %s"
        )
        _STATEMENTS[key] = statement
    params = [columns[name].get_db_prep_save(fields[name], connection) for name in names]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, pk, str(status), token])
        return int(cursor.rowcount)


class _Skips:
    """Rows of one batch that end without an e-mail (skipped, cancelled), written together
    at the end of the batch: one UPDATE per outcome rather than one per row. Unlike a sent
    mark, nothing is lost if the worker dies first: the rows go back to PENDING with the
    lease and are decided again."""

    def __init__(self, model: type[Delivery], token: str) -> None:
        self.model = model
        self.token = token
        self.groups: dict[Any, tuple[dict[str, Any], list[int]]] = {}

    def add(self, pk: int, fields: dict[str, Any]) -> None:
        try:
            key: Any = tuple(sorted(fields.items()))
            hash(key)
        except TypeError:  # a value that cannot be compared (a list): this row on its own
            key = ("row", pk)
        self.groups.setdefault(key, (fields, []))[1].append(pk)

    def flush(self) -> None:
        for fields, pks in self.groups.values():
            self.model._default_manager.filter(
                pk__in=pks, status=Delivery.Status.SENDING, claim_token=self.token
            ).update(**fields, updated_at=timezone.now())
        self.groups = {}


def _settle(
    queue: Queue,
    row: Any,
    *,
    token: str,
    now: dt.datetime,
    mailer: Mailer,
    worker: str,
    result: DispatchResult,
    skips: _Skips,
) -> None:
    model = queue.model

    def held() -> QuerySet[Any]:
        return model._default_manager.filter(
            pk=row.pk, status=Delivery.Status.SENDING, claim_token=token
        )

    try:
        status, reason = queue.decide(row, now=now)
        if status == SEND:
            message = queue.build(row, now=now)
    except Exception as exc:  # a bug in one message must not stop the others
        logger.exception("%s %s could not be built", queue.name, row.pk)
        _count_failure(held().update(**_failure_fields(row, exc, now=now)), row, result)
        return
    if status != SEND:
        skips.add(
            row.pk, {"status": status, "claim_token": "", **queue.skip_fields(row, status, reason)}
        )
        if status == Delivery.Status.CANCELLED:
            result.cancelled += 1
        else:
            result.skipped += 1
        return
    headers = dict(message.extra_headers)
    headers["Message-ID"] = row.message_id
    message.extra_headers = headers
    sent_fields = {
        "status": Delivery.Status.SENT,
        "sent_at": now,
        "sent_by": worker,
        # We hold the row: nobody else changes its attempts meanwhile.
        "attempts": row.attempts + 1,
        "last_error": "",
        "updated_at": timezone.now(),
        **queue.sent_fields(row, message),
    }
    marked: list[int] = []
    ours_sent = queue.model._default_manager.filter(
        pk=row.pk, status=Delivery.Status.SENT, claim_token=token
    )

    # SENT, keeping our claim token until the server has answered, so a refusal can take the
    # mark back (below) and nobody else's claim is touched. One hand-written row update (no
    # ORM work between the message's last byte and the mark leaving for the database); a
    # worker that dies after it has nothing of this message left to send again.
    def write_mark() -> int:
        done = _update_held(
            model, pk=row.pk, token=token, status=Delivery.Status.SENDING, fields=sent_fields
        )
        if not done and ours_sent.exists():
            return 1  # an earlier try committed before its connection dropped
        return done

    def mark() -> None:
        try:
            marked.append(_surviving_a_dropped_connection(write_mark))
        except DROPPED:
            # Not from inside the SMTP session: read the server's answer first, then try again
            # (below) on a new connection.
            logger.warning("%s %s: mark failed; again after the send", queue.name, row.pk)

    try:
        # Over SMTP the mark is written the moment the message's last byte is sent, before the
        # server's reply (core/smtp.py); other backends call nothing and we mark just after.
        with on_data_sent(mark):
            mailer.send(message)
    except Exception as exc:
        fields = {**_failure_fields(row, exc, now=now), **queue.copy_fields(row, message)}
        if marked:  # the server refused after we marked: take the mark back
            taken_back = model._default_manager.filter(
                pk=row.pk, status=Delivery.Status.SENT, claim_token=token
            ).update(**fields)
            _count_failure(taken_back, row, result)
        else:
            _count_failure(held().update(**fields), row, result)
        return
    if not marked:
        # If the database is still unreachable after these tries, the error ends this run and
        # the row, left SENDING, is sent again when its lease runs out: the one duplicate no
        # sender can rule out.
        marked.append(_surviving_a_dropped_connection(write_mark, attempts=5))
    if marked[0]:
        result.sent += 1
    else:  # only if our claim was taken back as abandoned, which the lease makes impossible
        logger.error("%s %s was sent but its claim had been released", queue.name, row.pk)


def _count_failure(updated: int, row: Delivery, result: DispatchResult) -> None:
    if not updated:
        return
    if row.attempts + 1 >= MAX_ATTEMPTS:
        result.failed += 1
    else:
        result.retrying += 1


def recover_abandoned(model: type[Delivery], *, now: dt.datetime | None = None) -> int:
    """Rows left SENDING by a worker that died go back to PENDING."""
    real_now = timezone.now()
    return model._default_manager.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=real_now - CLAIM_LEASE
    ).update(
        status=Delivery.Status.PENDING,
        claim_token="",
        next_attempt_at=now or real_now,
        last_error="The worker stopped while sending; it will be sent again.",
        updated_at=real_now,
    )


def _send_claimed(
    queue: Queue,
    token: str,
    *,
    now: dt.datetime,
    mailer: Mailer,
    worker: str,
    result: DispatchResult,
    deadline: float | None = None,
) -> None:
    ours = queue.model._default_manager.filter(status=Delivery.Status.SENDING, claim_token=token)
    rows = queue.load(ours.order_by("next_attempt_at", "pk"))
    skips = _Skips(queue.model, token)
    try:
        _send_rows(
            queue,
            rows,
            ours,
            token=token,
            now=now,
            mailer=mailer,
            worker=worker,
            result=result,
            deadline=deadline,
            skips=skips,
        )
    finally:
        skips.flush()


def _send_rows(
    queue: Queue,
    rows: list[Any],
    ours: QuerySet[Any],
    *,
    token: str,
    now: dt.datetime,
    mailer: Mailer,
    worker: str,
    result: DispatchResult,
    deadline: float | None,
    skips: _Skips,
) -> None:
    renewed = time.monotonic()
    for i, row in enumerate(rows):
        if time.monotonic() - renewed > RENEW_EVERY.total_seconds():
            held = set(ours.values_list("pk", flat=True))
            ours.update(claimed_at=timezone.now())
            renewed = time.monotonic()
            if row.pk not in held:
                # Our lease ran out (a long pause) and another dispatcher took the row.
                logger.warning(
                    "%s %s: claim lost before sending; left to its new owner", queue.name, row.pk
                )
                continue
        if deadline is not None and time.monotonic() > deadline:
            # Give back what we claimed but did not reach: another run takes it at once.
            left = [r.pk for r in rows[i:]]
            queue.model._default_manager.filter(
                pk__in=left, status=Delivery.Status.SENDING, claim_token=token
            ).update(status=Delivery.Status.PENDING, claim_token="", claimed_at=None)
            result.more = True
            return
        _settle(
            queue,
            row,
            token=token,
            now=now,
            mailer=mailer,
            worker=worker,
            result=result,
            skips=skips,
        )


def dispatch(
    names: Sequence[str] | None = None,
    *,
    now: dt.datetime | None = None,
    time_budget: dt.timedelta = TIME_BUDGET,
    worker: str | None = None,
    batch: int = BATCH,
) -> DispatchResult:
    """Send every row due at ``now`` (default: the clock, read again for each batch) in the
    named queues (default: all). Safe to run any number of times, at the same time."""
    worker = worker or worker_name()
    chosen = [_QUEUES[n] for n in names] if names is not None else list(_QUEUES.values())
    result = DispatchResult()
    deadline = time.monotonic() + time_budget.total_seconds()
    mailer = Mailer()
    with _marks_without_waiting_for_disk():
        _dispatch_queues(
            chosen,
            now=now,
            worker=worker,
            batch=batch,
            mailer=mailer,
            result=result,
            deadline=deadline,
        )
    if result.sent or result.skipped or result.failed or result.retrying or result.cancelled:
        logger.info("dispatched: %s", result.as_dict())
    return result


def _dispatch_queues(
    chosen: list[Queue],
    *,
    now: dt.datetime | None,
    worker: str,
    batch: int,
    mailer: Mailer,
    result: DispatchResult,
    deadline: float,
) -> None:
    try:
        for queue in chosen:
            while True:
                current = now or timezone.now()
                # Every batch, not only at the start: a long run also picks up what a dead
                # worker left once its lease has run out.
                result.recovered += recover_abandoned(queue.model, now=current)
                if time.monotonic() > deadline:
                    result.more = result.more or _due(queue.model, current).exists()
                    break
                token = claim(queue.model, now=current, worker=worker, limit=batch)
                if token is None:
                    break
                _send_claimed(
                    queue,
                    token,
                    now=current,
                    mailer=mailer,
                    worker=worker,
                    result=result,
                    deadline=deadline,
                )
    finally:
        mailer.close()


def dispatch_one(queue_name: str, pk: int, *, now: dt.datetime | None = None) -> DispatchResult:
    """Send one row now if it is due and nobody else holds it (the after-commit nudge)."""
    queue = _QUEUES[queue_name]
    result = DispatchResult()
    current = now or timezone.now()
    worker = worker_name()
    token = claim(queue.model, now=current, worker=worker, limit=1, pk=pk)
    if token is None:
        return result
    mailer = Mailer()
    try:
        with _marks_without_waiting_for_disk():
            _send_claimed(queue, token, now=current, mailer=mailer, worker=worker, result=result)
    finally:
        mailer.close()
    return result


def pending_count(names: Iterable[str] | None = None) -> int:
    chosen = [_QUEUES[n] for n in names] if names is not None else list(_QUEUES.values())
    return sum(
        q.model._default_manager.filter(status=Delivery.Status.PENDING).count() for q in chosen
    )
