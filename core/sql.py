"""Hand-written SQL for the few hot reads where building the ORM's SQL costs more than
running it (the free-time loaders: docs/performance.md). The statements are plain SQL that
SQLite and PostgreSQL both run, with values adapted by the backend as the ORM would, and
every one is covered by the suite on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection


def marks(values: Sequence[Any]) -> str:
    """``%s, %s, …`` for an IN list (at least one, so ``IN ()`` never happens)."""
    return ", ".join(["%s"] * max(1, len(values)))


def in_params(values: Sequence[Any]) -> list[Any]:
    return list(values) if values else [None]


def moment(value: dt.datetime) -> Any:
    """A datetime as the backend stores it (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def day(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def utc(text: str) -> dt.datetime:
    """A timestamp read as text: SQLite's naive UTC, PostgreSQL's with +00 (the connection's
    zone is UTC). ``fromisoformat`` is C, unlike the ORM's per-value converters."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
