"""Queue a Celery task after commit, best effort, without letting the broker hold a request.

The work itself is a row (an outbox e-mail, a payment to take), so a nudge that does not reach
a worker costs latency, never data: beat's dispatcher or reconcile does the row within a
minute or so. What a nudge must not cost is the user's time. A stopped broker refuses at once,
but a frozen one (paused, or a full network buffer) lets the publish wait out its socket
timeout, and a booking queues two e-mails. So:

- the publish runs in a helper thread and the request waits for it at most
  ``WAIT_SECONDS``; a publish still going on after that finishes (or fails) on its own, and
  while it does, later nudges queue behind it without waiting at all;
- a failed publish opens a breaker (core.breaker) for ``COOLDOWN_SECONDS``: the nudges after
  it are dropped at once, with a log line, instead of each waiting for the broker again.

With tasks run eagerly (tests), the task runs inline as before and the breaker is left alone:
an error inside a task is not an outage of the broker.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from core.breaker import Breaker

logger = logging.getLogger(__name__)

WAIT_SECONDS = 0.5
COOLDOWN_SECONDS = 10.0
BROKER = Breaker("the broker", cooldown=COOLDOWN_SECONDS)
_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nudge")
_slow: Future[None] | None = None  # a publish we stopped waiting for


def nudge(task: Any, *, args: tuple[Any, ...], what: str, otherwise: str) -> None:
    """Queue ``task`` with ``args`` now if the broker takes it quickly; never raise.

    ``what`` names the work in the log ("e-mail 12"); ``otherwise`` says who does it if the
    nudge is lost ("it waits for the dispatcher")."""
    if task.app.conf.task_always_eager:
        try:
            task.apply_async(args=args, retry=False)
        except Exception as exc:
            _lost(what, otherwise, f"{type(exc).__name__}: {exc}")
        return
    if not BROKER.allows():
        _lost(what, otherwise, "the broker is unavailable")
        return
    global _slow
    future = _publisher.submit(_publish, task, args, what, otherwise)
    if _slow is not None and not _slow.done():
        return  # the broker has not taken the one before: do not wait for this one either
    try:
        future.result(timeout=WAIT_SECONDS)
    except FutureTimeout:
        _slow = future
        logger.warning(
            "the broker has not taken %s after %ss; the request goes on (%s if it never does)",
            what,
            WAIT_SECONDS,
            otherwise,
        )


def _publish(task: Any, args: tuple[Any, ...], what: str, otherwise: str) -> None:
    if not BROKER.allows():  # queued behind a publish that failed meanwhile
        _lost(what, otherwise, "the broker is unavailable")
        return
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:
        BROKER.failed()
        _lost(what, otherwise, f"{type(exc).__name__}: {exc}")


def _lost(what: str, otherwise: str, why: str) -> None:
    logger.warning("could not queue %s (%s); %s", what, why, otherwise)
