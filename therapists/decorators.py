"""Access to the therapist's own pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse

from therapists import selectors, services
from therapists.models import TherapistProfile

View = Callable[..., HttpResponse]


class TherapistHttpRequest(HttpRequest):
    """The request a :func:`therapist_required` view gets. Only for annotations."""

    therapist: TherapistProfile


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def therapist_required(view: View) -> View:
    """Only a logged-in therapist; their profile is ``request.therapist``. Anyone else: a
    visitor is sent to log in (JSON callers get 403), a client or staff member gets 403.
    Objects are then looked up inside the therapist's own rows, so another therapist's ids
    give 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if wants_json(request) or request.method != "GET":
                return JsonResponse({"error": "login required"}, status=403)
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_therapist", False):
            raise PermissionDenied
        therapist_request = cast(TherapistHttpRequest, request)
        therapist_request.therapist = selectors.therapist_profile_of(
            user_id=user.pk
        ) or services.therapist_profile_create_pending(user=user)
        return view(therapist_request, *args, **kwargs)

    return wrapper
