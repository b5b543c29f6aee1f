"""gunicorn's access log without secrets: the request line, path, query and referer go through
``core.redact.redact``. Configured in gunicorn.conf.py (``logger_class``)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from core.redact import REDACTED, redact

_REDACTED_ATOMS = ("r", "U", "f")


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in _REDACTED_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        if atoms.get("q"):  # the query string alone, without its "?"
            atoms["q"] = REDACTED
        return atoms
