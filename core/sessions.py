"""Django's database sessions, read with one hand-written statement.

Every logged-in request reads its session first; building the ORM's ``get()`` for it cost
more than running it. Same table, same rows, same encoding as
``django.contrib.sessions.backends.db``: switching to or from this engine logs nobody out.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.utils import timezone

from core import sql


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        key = self.session_key
        if not key:
            self._session_key = None
            return {}
        table = self.model._meta.db_table
        rows = sql.rows(
            f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
            [key, sql.moment(timezone.now())],
        )
        if not rows:
            self._session_key = None  # as Django's: a new key is made on save
            return {}
        data: dict[str, Any] = self.decode(rows[0][0])
        return data
