"""Response headers Django has no setting for."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseBase
from django.utils.translation import gettext as _

from core.inputs import any_nul, has_nul


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` -> ``camera=(), fullscreen=(self)``."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class PermissionsPolicyMiddleware:
    """Permissions-Policy: no page may use camera, microphone, location, payment and the like."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


class RejectNulMiddleware:
    """A NUL character in the address or the query string is a 400, before any view: views
    read queries directly (filters, tokens, slugs) and PostgreSQL refuses a NUL in any text it
    is given, which would be a 500. NULs in a posted form are the form's business: Django's
    text fields answer with a form error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if has_nul(request.path) or any_nul(request.GET.lists()):
            return HttpResponseBadRequest(
                _("The address contains a null character; please check the link."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
