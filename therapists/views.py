from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from allauth.account.views import SignupView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from booking.models import Booking
from clients.care_flags import care_flags
from clients.selectors import intake_changes, intake_current, intake_previous, intake_visible_to
from clients.services import intake_view_record
from therapists import selectors, services
from therapists.feeds import therapist_feed
from therapists.forms import (
    CalendarBlockForm,
    DateOverrideForm,
    DirectoryFilterForm,
    ProfileForm,
    ServiceForm,
    TherapistSignupForm,
    TimeOffForm,
    WeeklyHoursFormSet,
    weekly_hours_initial,
)
from therapists.models import DateOverride, Service, TherapistProfile, TimeOff, WeeklyHours

DIRECTORY_PAGE_SIZE = 12

View = Callable[..., HttpResponse]


def _wants_json(request: HttpRequest) -> bool:
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
            if _wants_json(request) or request.method != "GET":
                return JsonResponse({"error": "login required"}, status=403)
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_therapist", False):
            raise PermissionDenied
        request.therapist = services.therapist_profile_create_pending(user=user)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


# --- Sign-up -----------------------------------------------------------------------------


class TherapistSignup(SignupView):
    template_name = "therapists/signup.html"
    success_url = reverse_lazy("therapists:profile_edit")

    def get_form_class(self) -> type[TherapistSignupForm]:
        # allauth would otherwise pick settings.ACCOUNT_FORMS["signup"], the client form.
        return TherapistSignupForm


signup = TherapistSignup.as_view()


# --- Public pages ------------------------------------------------------------------------


def _viewer_zone(request: HttpRequest) -> str:
    """The zone to show times in: the viewer's own if we know it, else the site's."""
    user = request.user
    if user.is_authenticated:
        for attr in ("client_profile", "therapist_profile"):
            profile = getattr(user, attr, None)
            if profile is not None:
                return profile.time_zone
    return settings.TIME_ZONE


def _book_url(therapist: TherapistProfile, service: Service, slot: dt.datetime) -> str | None:
    try:
        base = reverse("booking:start")
    except NoReverseMatch:
        return None
    query = urlencode(
        {"therapist": therapist.pk, "service": service.pk, "starts_at": slot.isoformat()}
    )
    return f"{base}?{query}"


def _free_slots(services: list[Service], days: int = 14) -> dict[int, list[dt.datetime]]:
    """Free start times for many services at once: a fixed number of queries for the page."""
    from booking.selectors import slots_for_services

    if not services:
        return {}
    now = timezone.now()
    return slots_for_services(services=services, start_date=now.date(), days=days, now=now)


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    modality = request.GET.get("modality", "").strip()
    postcode = request.GET.get("postcode", "").strip()[:16]
    result = selectors.therapist_directory(modality_slug=modality, postcode=postcode)
    form = DirectoryFilterForm(
        initial={"modality": result.modality.slug if result.modality else "", "postcode": postcode},
        modalities=result.modalities,
    )
    page = Paginator(result.entries, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    # The shortest (then cheapest) matching service: the soonest anyone could be seen.
    first_services = [entry.services[0] for entry in page.object_list if entry.services]
    for service in first_services:
        service.therapist = next(
            e.therapist for e in page.object_list if e.services[:1] == [service]
        )
    free = _free_slots(first_services)
    for entry in page.object_list:
        slots = free.get(entry.services[0].pk, []) if entry.services else []
        entry.next_slot = slots[0] if slots else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "therapists/directory.html",
        {
            "form": form,
            "result": result,
            "page": page,
            "query": query.urlencode(),
            "viewer_tz": _viewer_zone(request),
        },
    )


@require_GET
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    therapist = selectors.therapist_for_viewer(slug=slug, user=request.user)
    if therapist is None:
        raise Http404
    zone = zoneinfo.ZoneInfo(_viewer_zone(request))
    offers = []
    services_offered = list(therapist.active_services)  # type: ignore[attr-defined]
    for service in services_offered:
        service.therapist = therapist
    free = _free_slots(services_offered)
    for service in services_offered:
        slots = free.get(service.pk, [])
        offers.append(
            (
                service,
                [
                    (slot, _book_url(therapist, service, slot))
                    for slot in selectors.first_slot_per_day(slots, tz=zone, days=3)
                ],
            )
        )
    return render(
        request,
        "therapists/profile.html",
        {
            "therapist": therapist,
            "modalities": list(therapist.modalities.all()),
            "offers": offers,
            "is_preview": not therapist.is_approved,
            "is_owner": request.user.is_authenticated and therapist.user_id == request.user.pk,
            "viewer_tz": _viewer_zone(request),
        },
    )


# --- The therapist's own pages -----------------------------------------------------------


@therapist_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
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
    days = [(value, label, []) for value, label in WeeklyHours.Weekday.choices]
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
def hours(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
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
def time_off_add(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
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
def time_off_delete(request: HttpRequest, pk: int) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
    block = get_object_or_404(TimeOff, pk=pk, therapist=therapist)
    services.time_off_remove(time_off=block)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, _("That time off is removed."))
    back = "therapists:calendar" if request.POST.get("next") == "calendar" else "therapists:hours"
    return redirect(back)


@therapist_required
@require_POST
def override_add(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
    form = DateOverrideForm(request.POST, prefix="extra")
    if not form.is_valid():
        return _hours_page(request, therapist, override_form=form)
    services.date_override_add(therapist=therapist, **form.cleaned_data)
    messages.success(request, _("Your extra hours are saved."))
    return redirect("therapists:hours")


@therapist_required
@require_POST
def override_delete(request: HttpRequest, pk: int) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
    override = get_object_or_404(DateOverride, pk=pk, therapist=therapist)
    services.date_override_remove(override=override)
    messages.success(request, _("Those extra hours are removed."))
    return redirect("therapists:hours")


@therapist_required
def service_list(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
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
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
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
def service_delete(request: HttpRequest, pk: int) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
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


@therapist_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
    feed_url = request.build_absolute_uri(
        reverse("therapists:feed", kwargs={"token": therapist.calendar_token})
    )
    return render(
        request,
        "therapists/calendar.html",
        {"therapist": therapist, "feed_url": feed_url, "block_form": CalendarBlockForm()},
    )


def _parse_calendar_bound(value: str, tz: dt.tzinfo) -> dt.datetime | None:
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = dt.datetime.combine(day, dt.time(0)) if day else None
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=tz) if timezone.is_naive(parsed) else parsed


@therapist_required
@require_GET
def calendar_events(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
    start = _parse_calendar_bound(request.GET.get("start", ""), therapist.tz)
    end = _parse_calendar_bound(request.GET.get("end", ""), therapist.tz)
    if start is None or end is None or end <= start or end - start > dt.timedelta(days=62):
        return JsonResponse(
            {"error": _("Give start and end dates at most two months apart.")}, status=400
        )
    events = selectors.calendar_events(therapist=therapist, start=start, end=end)
    return JsonResponse(events, safe=False)


@therapist_required
@require_POST
def calendar_block(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
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


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    therapist = TherapistProfile.objects.filter(calendar_token=token).first()
    if therapist is None or not token:
        raise Http404
    body = therapist_feed(
        therapist=therapist,
        bookings=selectors.feed_bookings(therapist=therapist),
        time_off=list(
            therapist.time_off.filter(ends_at__gt=timezone.now() - dt.timedelta(days=30))
        ),
        absolute=request.build_absolute_uri,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="homeknots.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@therapist_required
@require_POST
def feed_reset(request: HttpRequest) -> HttpResponse:
    therapist: TherapistProfile = request.therapist  # type: ignore[attr-defined]
    services.calendar_token_reset(profile=therapist)
    messages.success(
        request,
        _(
            "Your calendar link is new. Calendars subscribed to the old link stop updating; "
            "subscribe again with the link below."
        ),
    )
    return redirect(reverse("therapists:calendar") + "#subscribe")


# --- The visit page ----------------------------------------------------------------------


def _intake_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """The intake summary block of the visit page, only when the clients app says this
    viewer may see it; every view goes into the intake's access log.

    Before and during a visit the therapist needs the client's latest answers; after it,
    the version the visit was booked on."""
    intake = booking.intake
    if booking.is_active or intake is None:
        intake = intake_current(client=booking.client) or intake
    if intake is None or not intake_visible_to(intake=intake, user=request.user):
        return {"intake": None, "flags": [], "changes": []}
    intake_view_record(intake=intake, viewer=request.user, context="visit")
    return {
        "intake": intake,
        "flags": care_flags(intake=intake, booking=booking),
        "changes": intake_changes(intake_previous(intake=intake), intake),
    }


@login_required
@require_GET
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not (getattr(user, "is_therapist", False) or user.is_staff):
        raise PermissionDenied
    booking = selectors.visit_for_viewer(pk=pk, user=user)
    if booking is None:
        raise Http404
    now = timezone.now()
    actions: list[tuple[str, str, str]] = []
    if booking.status == Booking.Status.PENDING:
        actions = [
            ("confirm", _("Confirm visit"), "primary"),
            ("decline", _("Decline"), "outline-danger"),
        ]
    elif booking.status == Booking.Status.CONFIRMED:
        if booking.starts_at <= now:
            actions = [
                ("complete", _("Mark completed"), "primary"),
                ("no_show", _("Client was not there"), "outline-secondary"),
            ]
        else:
            actions = [("cancel", _("Cancel visit"), "outline-danger")]
    return render(
        request,
        "therapists/visit.html",
        {
            "booking": booking,
            "therapist": booking.therapist,
            "actions": actions,
            **_intake_context(request, booking),
        },
    )
