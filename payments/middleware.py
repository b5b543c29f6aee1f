"""The Content-Security-Policy's only outside origins: Stripe.js, its frames and its API (or
localstripe's copies in development), added to every response while payments are on."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def _origin(url: str) -> str:
    return "/".join(url.split("/", 3)[:3])


def stripe_origins() -> dict[str, list[str]]:
    """Read at request time, so tests and a changed setting take effect without a restart."""
    js = _origin(settings.STRIPE_JS_URL)
    api = settings.STRIPE_API_BASE
    # localstripe serves the script, the frames and the API itself; Stripe uses two hosts.
    frames = {js} if api else {js, "https://js.stripe.com", "https://hooks.stripe.com"}
    return {
        "script-src": [js],
        "frame-src": ["'self'", *sorted(frames)],
        "connect-src": sorted({js, _origin(api) if api else "https://api.stripe.com"}),
    }


class StripeContentSecurityMiddleware:
    """Listed after django-csp's middleware, so it sees the response first and leaves the
    additions for it (django-csp's ``_csp_update``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if settings.PAYMENTS_ENABLED:
            update: dict[str, list[str]] = dict(getattr(response, "_csp_update", None) or {})
            for directive, origins in stripe_origins().items():
                update[directive] = [*update.get(directive, []), *origins]
            response._csp_update = update  # type: ignore[attr-defined]
        return response
