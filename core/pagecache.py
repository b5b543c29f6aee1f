"""Whole responses for anonymous visitors, kept exactly as long as they are true.

The directory, a therapist's profile and the slots API show free times, which change in two
ways: something is written (a booking, new hours, a price...), or the clock passes the first
time shown. A cached response is therefore keyed by what was written (the version columns of
the rows it shows, read with one query) and stored with the moment its first time stops being
bookable (``valid_until``); it is never served after that moment, nor before the moment it
was made (a clock behind ours). Entries also die after ``ttl`` seconds, which bounds memory.

Only anonymous visitors without a session are served from here: whoever has a session may
have messages to see, a CSRF token, an address that changes the answer. The key also holds
the language and a build id (the site's templates and code as deployed), so a deployment
never serves a page rendered by the previous one.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import translation


def _build_id() -> str:
    """Changes whenever a template or a Python file of the project changes."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha1(usedforsecurity=False)
    skip = {".venv", "var", "node_modules", "static", "docs", "tests", "bench"}
    for top in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if top.name in skip:
            continue
        for path in sorted([*top.rglob("*.py"), *top.rglob("*.html")]):
            stat = path.stat()
            digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:12]


BUILD_ID = _build_id()


def servable(request: HttpRequest) -> bool:
    """A GET from someone with no session and no pending messages."""
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def key(kind: str, *parts: object) -> str:
    material = "|".join(str(p) for p in (BUILD_ID, translation.get_language(), *parts))
    return f"hk:page:{kind}:" + hashlib.sha1(material.encode(), usedforsecurity=False).hexdigest()


def get(cache_key: str, *, now: datetime) -> bytes | None:
    entry = cache.get(cache_key)
    if entry is None:
        return None
    made_at, valid_until, body = entry
    moment = now.timestamp()
    if made_at <= moment < valid_until:
        return body
    return None


def put(
    cache_key: str,
    body: bytes,
    *,
    now: datetime,
    expires: Iterable[datetime] = (),
    ttl: int | None = None,
) -> None:
    """Store ``body`` until the earliest of ``expires`` (exclusive) and ``ttl`` seconds."""
    ttl = ttl if ttl is not None else 60 * settings.BOOKING_SLOT_STEP_MINUTES
    moment = now.timestamp()
    until = min([moment + ttl, *(e.timestamp() for e in expires)])
    if until > moment:
        cache.set(cache_key, (moment, until, body), timeout=max(1, math.ceil(until - moment)))
