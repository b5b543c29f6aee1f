"""Pages are personal: no browser or proxy keeps a copy unless the view said otherwise.

Health data, addresses, visits and signed-link pages must never sit in a shared or back-button
cache; marking everything dynamic ``no-store, private`` by default means a new page cannot
forget. A view that wants caching sets its own Cache-Control (the calendar feed does)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
