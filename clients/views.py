from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.http import request_user
from accounts.models import User
from clients.care_flags import care_flags
from clients.forms import ClientProfileForm, IntakeForm
from clients.models import ClientProfile, Intake
from clients.selectors import (
    client_profile_for,
    intake_changes,
    intake_current,
    intake_for_viewer,
    intake_history,
    intake_previous,
    pain_areas_sorted,
    viewer_time_zone,
)
from clients.services import client_profile_save, intake_create


def _require_client(request: HttpRequest) -> User:
    """Profile and intake pages are the client's own; other roles have their own screens."""
    user = request_user(request)
    if not user.is_client:
        raise PermissionDenied(_("Only clients have a health intake."))
    return user


def _apply_service_errors(form: IntakeForm | ClientProfileForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = _require_client(request)
    profile = client_profile_for(user=user)
    if request.method == "POST":
        form = ClientProfileForm(request.POST)
        if form.is_valid():
            try:
                client_profile_save(user=user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                messages.success(request, _("Your details are saved."))
                return redirect(_safe_next(request) or "dashboard")
    else:
        form = ClientProfileForm(initial=ClientProfileForm.initial_for(user=user, profile=profile))
    return render(
        request,
        "clients/profile_form.html",
        {"form": form, "profile": profile, "next": _safe_next(request) or ""},
    )


@login_required
def intake_edit(request: HttpRequest) -> HttpResponse:
    user = _require_client(request)
    profile = client_profile_for(user=user)
    if profile is None:
        messages.info(
            request, _("First, your address and phone number: your therapist comes to you.")
        )
        # Through the address first, then back here, then on to wherever the client was going.
        back_here = reverse("clients:intake_edit")
        if _safe_next(request):
            back_here = f"{back_here}?{urlencode({'next': _safe_next(request)})}"
        return redirect(f"{reverse('clients:profile_edit')}?{urlencode({'next': back_here})}")
    current = intake_current(client=profile)
    if request.method == "POST":
        form = IntakeForm(request.POST, client=profile)
        if form.is_valid():
            try:
                intake = intake_create(client=profile, **form.service_kwargs())
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Your health intake is saved (version %(v)s).") % {"v": intake.version},
                )
                return redirect(_safe_next(request) or intake.get_absolute_url())
    else:
        form = IntakeForm(initial=IntakeForm.initial_from(current), client=profile)
    return render(
        request,
        "clients/intake_form.html",
        {"form": form, "current": current, "profile": profile, "next": _safe_next(request) or ""},
    )


@login_required
def intake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone not allowed gets the same answer as for an intake that does not exist.
    intake = intake_for_viewer(pk=pk, user=request.user, context="intake_detail")
    if intake is None:
        raise Http404
    previous = intake_previous(intake=intake)
    areas = pain_areas_sorted(intake=intake)
    is_owner = intake.client.user_id == request.user.pk
    current = intake_current(client=intake.client)
    assert current is not None  # the client has this intake, at least
    return render(
        request,
        "clients/intake_detail.html",
        {
            "intake": intake,
            "is_owner": is_owner,
            "is_current": current.pk == intake.pk,
            "flags": care_flags(intake=intake),
            # The client reads their flags in their own words; others, the therapist's.
            "audience": "client" if is_owner else "therapist",
            "changes": intake_changes(previous, intake),
            "previous": previous,
            "versions": intake_history(client=intake.client),
            "selected": [a.region for a in areas],
            "intensities": {a.region: a.intensity for a in areas},
            "referred": sorted({t for a in areas for t in a.refers_to}),
            "viewer_tz": viewer_time_zone(user=request.user),
        },
    )


@login_required
def intake_history_view(request: HttpRequest) -> HttpResponse:
    user = _require_client(request)
    profile: ClientProfile | None = client_profile_for(user=user)
    versions = intake_history(client=profile) if profile else Intake.objects.none()
    return render(
        request,
        "clients/intake_history.html",
        {"versions": versions, "viewer_tz": viewer_time_zone(user=user)},
    )
