"""The account behind a request, typed."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The logged-in user of a request only logged-in users reach: a ``login_required``
    view, or the admin. Typed as our ``User``, not ``User | AnonymousUser``."""
    user = request.user
    assert user.is_authenticated, "request_user() needs a logged-in user"
    return user
