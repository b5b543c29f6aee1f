"""System checks for a production setup the README describes but Django cannot see wrong."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register()
def shared_cache(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Login throttling and one-time codes live in the cache: with a cache per process, each
    of several workers counts failures on its own and an attacker gets workers × the limit."""
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PER_PROCESS_CACHES:
        return [
            Error(
                "The default cache is per process; login throttling would not hold across workers.",
                hint="Set CACHE_URL to a shared cache, e.g. CACHE_URL=redis://redis:6379/1.",
                id="core.E001",
            )
        ]
    return []
