"""A Redis cache that an outage of Redis cannot turn into errors.

In production the cache (login throttling, one-time codes, the availability cache) and the
broker may share one Redis. When it stops or freezes, a cache read is a miss and a write is
skipped, after a short socket timeout, with a warning in the log: pages keep working (login
throttling is off until Redis is back), instead of every login answering 500.

After one such failure the cache is not asked at all for ``COOLDOWN_SECONDS`` (a breaker per
Redis server, per process): a frozen Redis costs one socket timeout, not one per cache call
(a sign-up makes four)."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.breaker import Breaker

logger = logging.getLogger(__name__)
OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)
COOLDOWN_SECONDS = 10.0
# Django makes a cache object per thread; the breaker belongs to the server, shared by all.
_BREAKERS: dict[str, Breaker] = {}


def breaker_for(server: str | list[str]) -> Breaker:
    servers = re.split("[;,]", server) if isinstance(server, str) else list(server)
    key = ",".join(servers)
    if key not in _BREAKERS:
        # Named by host and port only: a URL may carry a password.
        where = ",".join(f"{urlsplit(s).hostname}:{urlsplit(s).port or 6379}" for s in servers)
        _BREAKERS[key] = Breaker(f"the cache at {where}", cooldown=COOLDOWN_SECONDS)
    return _BREAKERS[key]


class ResilientRedisCache(RedisCache):
    def __init__(self, server: Any, params: Any) -> None:
        super().__init__(server, params)
        self._breaker = breaker_for(server)

    def _quietly(self, action: str, default: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._breaker.allows():
            return default
        try:
            return call(*args, **kwargs)
        except OUTAGE as exc:
            logger.warning(
                "cache unavailable (%s: %s); %s skipped", type(exc).__name__, exc, action
            )
            self._breaker.failed()
            return default

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._quietly("get", default, super().get, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> Any:
        return self._quietly("get_many", {}, super().get_many, keys, version)

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        self._quietly("set", None, super().set, key, value, timeout, version)

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        result: list[Any] = self._quietly(
            "set_many", list(data), super().set_many, data, timeout, version
        )
        return result

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        # True: callers use add() as a lock (allauth's throttle); refusing every lock while
        # Redis is away would lock everybody out.
        return bool(self._quietly("add", True, super().add, key, value, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return bool(self._quietly("delete", False, super().delete, key, version))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._quietly("delete_many", None, super().delete_many, keys, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return int(self._quietly("incr", delta, super().incr, key, delta, version))

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return bool(self._quietly("touch", False, super().touch, key, timeout, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return bool(self._quietly("has_key", False, super().has_key, key, version))
