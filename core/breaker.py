"""A circuit breaker, per process: after a dependency fails, skip it for a short while.

A frozen Redis (a paused process, a full network buffer) accepts connections and never
answers, so every call waits out its socket timeout. A sign-up touched the cache four times
and queued one e-mail: 4 × 1 s + 2 s while Redis was frozen; a booking queued two e-mails:
2 × 2 s (measured by the fault suite, docs/reliability.md). With a breaker the first failure
opens it, and the calls after it, in the same request and the next ones, skip the dependency
at once until ``cooldown`` has passed; then the next call tries again.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)
_ALL: list[Breaker] = []


class Breaker:
    def __init__(self, name: str, *, cooldown: float) -> None:
        self.name = name
        self.cooldown = cooldown
        self._open_until = 0.0
        self._lock = threading.Lock()
        _ALL.append(self)

    def allows(self) -> bool:
        """True unless a failure within the last ``cooldown`` seconds opened the breaker."""
        return time.monotonic() >= self._open_until

    def failed(self) -> None:
        with self._lock:
            was_closed = self.allows()
            self._open_until = time.monotonic() + self.cooldown
        if was_closed:
            logger.warning("%s is unavailable: not asked again for %ss", self.name, self.cooldown)

    def reset(self) -> None:
        self._open_until = 0.0


def reset_all() -> None:
    """Close every breaker (tests: one test's outage must not carry into the next)."""
    for breaker in _ALL:
        breaker.reset()
