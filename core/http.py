"""Request types for views: what middleware adds to ``HttpRequest``, spelled out for mypy."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through ``HtmxMiddleware``: every request does, so any view may
    take one. Only for annotations; Django still passes a plain ``HttpRequest``."""

    htmx: HtmxDetails
