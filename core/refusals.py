"""The one base class for "the product says no": a rule refused what the user asked.

Services raise a subclass whose message is the sentence the user sees; views, forms, admin
actions and tasks translate it (a form error, an admin message, a 4xx) and never decide the
rule themselves. ``code`` is a stable, machine-readable name for tests and APIs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Refusal(Exception):
    code = "refused"
    default_message: StrOrPromise = "That is not possible."

    def __init__(self, message: Any = None, *, code: str | None = None) -> None:
        text = str(message) if message is not None else str(self.default_message)
        super().__init__(text)
        self.message = text
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message
