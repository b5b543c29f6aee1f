from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.views import SignupView
from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from therapists import selectors, services
from therapists.decorators import TherapistHttpRequest, therapist_required, wants_json
from therapists.forms import (
    CalendarBlockForm,
    DateOverrideForm,
    ProfileForm,
    ServiceForm,
    TherapistSignupForm,
    TimeOffForm,
    WeeklyHoursFormSet,
    weekly_hours_initial,
)
from therapists.models import DateOverride, Service, TherapistProfile, TimeOff, WeeklyHours

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DIRECTORY_PAGE_SIZE = 12


# --- Sign-up -----------------------------------------------------------------------------


class TherapistSignup(SignupView):
    template_name = "therapists/signup.html"
    success_url = reverse_lazy("therapists:profile_edit")

    def get_form_class(self) -> type[TherapistSignupForm]:
        # allauth would otherwise pick settings.ACCOUNT_FORMS["signup"], the client form.
        return TherapistSignupForm


signup = TherapistSignup.as_view()


# --- The therapist's own pages -----------------------------------------------------------


@therapist_required
def profile_edit(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=therapist)
        if form.is_valid():
            services.therapist_profile_update(
                profile=therapist,
                data=form.profile_data(),
                modalities=form.cleaned_data["modalities"],
                point=form.point,
                photo=form.cleaned_data.get("photo"),
                clear_photo=form.cleaned_data.get("remove_photo", False),
            )
            messages.success(request, _("Your profile is saved."))
            return redirect("therapists:profile_edit")
        # The bound form changed the instance in memory; show the saved photo, not a half-edit.
        therapist.refresh_from_db()
    else:
        form = ProfileForm(instance=therapist)
    return render(request, "therapists/profile_edit.html", {"form": form, "therapist": therapist})


def _hours_page(
    request: HttpRequest,
    therapist: TherapistProfile,
    *,
    formset: Any = None,
    time_off_form: TimeOffForm | None = None,
    override_form: DateOverrideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if formset is None:
        formset = WeeklyHoursFormSet(
            prefix="hours", initial=weekly_hours_initial(therapist.weekly_hours.all())
        )
    days: list[tuple[int, StrOrPromise, list[Any]]] = [
        (value, label, []) for value, label in WeeklyHours.Weekday.choices
    ]
    for form in formset.forms:
        try:
            days[int(form["weekday"].value())][2].append(form)
        except (TypeError, ValueError, IndexError):
            continue  # a tampered row; the formset reports it
    today = timezone.now().astimezone(therapist.tz).date()
    start_of_today = selectors.local_day_bounds(today, therapist.tz)[0]
    return render(
        request,
        "therapists/hours.html",
        {
            "therapist": therapist,
            "formset": formset,
            "days": days,
            "time_off_form": time_off_form or TimeOffForm(prefix="off"),
            "override_form": override_form or DateOverrideForm(prefix="extra"),
            "time_off": therapist.time_off.filter(ends_at__gt=start_of_today),
            "overrides": therapist.date_overrides.filter(date__gte=today),
        },
        status=status,
    )


@therapist_required
def hours(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    if request.method == "POST":
        formset = WeeklyHoursFormSet(request.POST, prefix="hours")
        if formset.is_valid():
            ranges = [form.range for form in formset.forms if form.range is not None]
            services.weekly_hours_replace(therapist=therapist, ranges=ranges)
            messages.success(request, _("Your weekly hours are saved."))
            return redirect("therapists:hours")
        return _hours_page(request, therapist, formset=formset)
    return _hours_page(request, therapist)


@therapist_required
@require_POST
def time_off_add(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    form = TimeOffForm(request.POST, prefix="off")
    if not form.is_valid():
        return _hours_page(request, therapist, time_off_form=form)
    data = form.cleaned_data
    services.time_off_add_days(
        therapist=therapist,
        first_day=data["first_day"],
        last_day=data["last_day"],
        reason=data["reason"],
    )
    messages.success(request, _("Your time off is saved; nobody can book you then."))
    return redirect("therapists:hours")


@therapist_required
@require_POST
def time_off_delete(request: TherapistHttpRequest, pk: int) -> HttpResponse:
    therapist = request.therapist
    block = get_object_or_404(TimeOff, pk=pk, therapist=therapist)
    services.time_off_remove(time_off=block)
    if wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, _("That time off is removed."))
    back = "therapists:calendar" if request.POST.get("next") == "calendar" else "therapists:hours"
    return redirect(back)


@therapist_required
@require_POST
def override_add(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    form = DateOverrideForm(request.POST, prefix="extra")
    if not form.is_valid():
        return _hours_page(request, therapist, override_form=form)
    services.date_override_add(therapist=therapist, **form.cleaned_data)
    messages.success(request, _("Your extra hours are saved."))
    return redirect("therapists:hours")


@therapist_required
@require_POST
def override_delete(request: TherapistHttpRequest, pk: int) -> HttpResponse:
    therapist = request.therapist
    override = get_object_or_404(DateOverride, pk=pk, therapist=therapist)
    services.date_override_remove(override=override)
    messages.success(request, _("Those extra hours are removed."))
    return redirect("therapists:hours")


@therapist_required
def service_list(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    if request.method == "POST":
        form = ServiceForm(request.POST, therapist=therapist)
        if form.is_valid():
            services.service_save(therapist=therapist, **form.cleaned_data)
            messages.success(request, _("Service added."))
            return redirect("therapists:services")
    else:
        form = ServiceForm(therapist=therapist, initial={"duration_minutes": 60})
    return render(
        request,
        "therapists/services.html",
        {
            "therapist": therapist,
            "form": form,
            "services": therapist.services.select_related("modality"),
        },
    )


@therapist_required
def service_edit(request: TherapistHttpRequest, pk: int) -> HttpResponse:
    therapist = request.therapist
    service = get_object_or_404(Service, pk=pk, therapist=therapist)
    if request.method == "POST":
        form = ServiceForm(request.POST, instance=service, therapist=therapist)
        if form.is_valid():
            services.service_save(therapist=therapist, service=service, **form.cleaned_data)
            messages.success(request, _("Service saved."))
            return redirect("therapists:services")
    else:
        form = ServiceForm(instance=service, therapist=therapist)
    return render(request, "therapists/service_edit.html", {"form": form, "service": service})


@therapist_required
@require_POST
def service_delete(request: TherapistHttpRequest, pk: int) -> HttpResponse:
    therapist = request.therapist
    service = get_object_or_404(Service, pk=pk, therapist=therapist)
    if services.service_remove(service=service):
        messages.success(request, _("Service deleted."))
    else:
        messages.info(
            request,
            _("This service has bookings, so it is kept for their records and no longer offered."),
        )
    return redirect("therapists:services")


# --- Calendar ----------------------------------------------------------------------------

# What FullCalendar 6 needs beyond the site's Content-Security-Policy, on its one page. It
# injects its CSS as a <style> element, which it gives the nonce it finds in
# <meta name="csp-nonce"> (calendar.html); and that CSS carries its icon font as a data: URL,
# which Chromium loads (or refuses) as soon as the rule is added.
FULLCALENDAR_CSP = {"style-src": [NONCE], "font-src": ["data:"]}


@csp_update(FULLCALENDAR_CSP)
@therapist_required
@require_GET
def calendar(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    feed_url = request.build_absolute_uri(
        reverse("therapists:feed", kwargs={"token": therapist.calendar_token})
    )
    return render(
        request,
        "therapists/calendar.html",
        {"therapist": therapist, "feed_url": feed_url, "block_form": CalendarBlockForm()},
    )


@therapist_required
@require_POST
def calendar_block(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    with timezone.override(therapist.tz):
        form = CalendarBlockForm(request.POST)
        valid = form.is_valid()
    if not valid:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return JsonResponse({"errors": errors}, status=400)
    block = services.time_off_add_block(
        therapist=therapist,
        starts_at=form.cleaned_data["start"],
        ends_at=form.cleaned_data["end"],
        reason=form.cleaned_data["reason"],
    )
    return JsonResponse({"ok": True, "id": block.pk}, status=201)


@therapist_required
@require_POST
def feed_reset(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    services.calendar_token_reset(profile=therapist)
    messages.success(
        request,
        _(
            "Your calendar link is new. Calendars subscribed to the old link stop updating; "
            "subscribe again with the link below."
        ),
    )
    return redirect(reverse("therapists:calendar") + "#subscribe")
