"""Pages that gather several apps' data. Each view parses the request, calls the selectors of
the apps it shows (which apply the rules, the health-data rule included), and renders; no
view here decides a rule.

The URL names stay those of the app a page belongs to (``therapists:visit``,
``therapists:directory``, ``dashboard`` …): ``config/urls.py`` mounts these views into the
apps' namespaces.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import request_user
from accounts.models import User
from aftercare import selectors as aftercare_selectors
from booking import selectors as booking_selectors
from booking.feeds import therapist_feed
from booking.models import Booking
from booking.privacy import health_view
from booking.wording import BEFORE_TREATING
from clients.care_flags import care_flags
from clients.models import ClientProfile, IntakeAccessLog
from clients.selectors import (
    client_profile_for,
    intake_changes,
    intake_current,
    intake_previous,
    pain_areas_sorted,
)
from core import pagecache
from core.inputs import parse_date, parse_moment
from core.zones import viewer_zone, zone_for
from payments import selectors as payment_selectors
from therapists import selectors as therapist_selectors
from therapists.decorators import TherapistHttpRequest, therapist_required
from therapists.forms import DirectoryFilterForm
from therapists.models import Service, TherapistProfile

DIRECTORY_PAGE_SIZE = 12


# --- Dashboards ---------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where each role lands after logging in."""
    user = request_user(request)
    if user.is_therapist:
        profile = getattr(user, "therapist_profile", None)
        panel = booking_selectors.therapist_today(therapist=profile) if profile else None
        waiting = aftercare_selectors.visits_waiting_for_notes(therapist=profile) if profile else []
        return render(
            request,
            "accounts/dashboard_therapist.html",
            {"panel": panel, "profile": profile, "waiting_for_notes": waiting},
        )
    if user.role == User.Role.STAFF or user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/dashboard_client.html")


# --- Public pages: the directory and profiles, with free times ------------------------------------


def _book_url(therapist: TherapistProfile, service: Service, slot: dt.datetime) -> str:
    query = urlencode(
        {"therapist": therapist.pk, "service": service.pk, "starts_at": slot.isoformat()}
    )
    return f"{reverse('booking:start')}?{query}"


def _free_slots(
    services: list[Service],
    now: dt.datetime,
    days: int = 14,
    client: ClientProfile | None = None,
) -> dict[int, list[dt.datetime]]:
    """Free start times for many services at once: a fixed number of queries for the page.
    With ``client``, the times that client can book (their address, their own visits)."""
    if not services:
        return {}
    return booking_selectors.slots_for_services(
        services=services,
        start_date=now.date(),
        days=days,
        now=now,
        client=client,
        rows_read_now=True,
    )


def _profile_url(therapist: TherapistProfile, area: booking_selectors.ViewerArea) -> str:
    """A profile link that keeps a visitor's ZIP (a client's saved address needs none)."""
    url = therapist.get_absolute_url()
    if area.postcode and not area.saved:
        url += "?" + urlencode({"postcode": area.postcode})
    return url


def _listing_key(kind: str, fingerprint: list[tuple[Any, ...]], *parts: object) -> str:
    """A cached listing's key: its own parts, every listed therapist's version and the
    local date in each of their zones and the site's (free times run from "today")."""
    now = timezone.now()
    zones = sorted({row[2] for row in fingerprint} | {settings.TIME_ZONE})
    dates = [timezone.localdate(now, zone_for(z)).isoformat() for z in zones]
    return pagecache.key(kind, *parts, [row[:2] for row in fingerprint], dates)


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    modality = request.GET.get("modality", "").strip()
    client = client_profile_for(user=request.user)
    if "postcode" in request.GET or client is None:
        postcode = request.GET.get("postcode", "").strip()[:16]
    else:
        postcode = client.postcode  # a client sees who reaches their saved address first
    area = booking_selectors.viewer_area(client=client, postcode=postcode)
    now = timezone.now()
    shared = pagecache.servable(request)
    if shared:
        fingerprint = therapist_selectors.listing_fingerprint(modality_slug=modality)
        key = _listing_key("directory", fingerprint, modality, postcode, request.GET.get("page"))
        if (body := pagecache.get(key, now=now)) is not None:
            return HttpResponse(body)
    result = therapist_selectors.therapist_directory(modality_slug=modality, postcode=postcode)
    form = DirectoryFilterForm(
        initial={"modality": result.modality.slug if result.modality else "", "postcode": postcode},
        modalities=result.modalities,
    )
    page = Paginator(result.entries, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    # The shortest (then cheapest) matching service: the soonest anyone could be seen.
    first_services = []
    for entry in page.object_list:
        if entry.services:
            service = entry.services[0]
            service.therapist = entry.therapist
            first_services.append(service)
    # A client's "next free" is one they can book: their address and their own visits count.
    # Times only for a place (a ZIP asked first), so that "next free" is one that can be booked.
    free = _free_slots(first_services, now, client=client) if not area.asked else {}
    expires = []
    for entry in page.object_list:
        slots = free.get(entry.services[0].pk, []) if entry.services else []
        entry.next_slot = slots[0] if slots else None
        if client is not None:
            reach = booking_selectors.therapist_reach(therapist=entry.therapist, area=area)
            entry.out_of_area = reach.sentence
        if entry.next_slot is not None:  # shown until it stops being bookable
            expires.append(entry.next_slot - dt.timedelta(hours=entry.therapist.min_notice_hours))
    query = request.GET.copy()
    query.pop("page", None)
    response = render(
        request,
        "therapists/directory.html",
        {
            "form": form,
            "result": result,
            "page": page,
            "query": query.urlencode(),
            "viewer_tz": str(viewer_zone(request.user)),
            "shared_page": shared,
            "area": area,
            "nobody_reaches": bool(result.point and not result.entries),
            "edit_address_url": _edit_address_url(request),
        },
    )
    if shared:
        pagecache.put(key, response.content, now=now, expires=expires)
    return response


def _edit_address_url(request: HttpRequest) -> str:
    """The client's address form, coming back to this page."""
    return f"{reverse('clients:profile_edit')}?{urlencode({'next': request.get_full_path()})}"


@require_GET
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    client = client_profile_for(user=request.user)
    # Times are for a place: the client's saved address, or the ZIP a visitor gives.
    area = booking_selectors.viewer_area(client=client, postcode=request.GET.get("postcode", ""))
    shared = pagecache.servable(request)
    if shared:
        fingerprint = therapist_selectors.listing_fingerprint(slug=slug)
        key = _listing_key("profile", fingerprint, slug, area.postcode)
        if fingerprint and (body := pagecache.get(key, now=now)) is not None:
            return HttpResponse(body)
    therapist = therapist_selectors.therapist_for_viewer(
        slug=slug,
        user=request.user,
        queryset=aftercare_selectors.with_rating(TherapistProfile.objects.all()),
    )
    if therapist is None:
        raise Http404
    zone = viewer_zone(request.user)
    services_offered = list(therapist.active_services)
    for service in services_offered:
        service.therapist = therapist
    reach = booking_selectors.therapist_reach(therapist=therapist, area=area)
    covering: list[tuple[TherapistProfile, str]] = []
    free: dict[int, list[dt.datetime]] = {}
    if not reach.reaches:
        covering = [
            (t, _profile_url(t, area))
            for t in booking_selectors.therapists_covering(
                area=area, client=client, exclude=therapist
            )
        ]
    elif not area.asked or not therapist.is_approved:  # a preview shows its times as they are
        free = _free_slots(services_offered, now, client=client)
    offers = [
        (
            service,
            [
                (slot, _book_url(therapist, service, slot))
                for slot in therapist_selectors.first_slot_per_day(
                    free.get(service.pk, []), tz=zone, days=3
                )
            ],
        )
        for service in services_offered
    ]
    response = render(
        request,
        "therapists/profile.html",
        {
            "therapist": therapist,
            "modalities": list(therapist.modalities.all()),
            "offers": offers,
            "is_preview": not therapist.is_approved,
            "is_owner": request.user.is_authenticated and therapist.user_id == request.user.pk,
            "viewer_tz": str(zone),
            "payment_terms": payment_selectors.therapist_terms_text(therapist=therapist),
            "shared_page": shared,
            "area": area,
            "reach": reach,
            "covering": covering,
            "edit_address_url": _edit_address_url(request),
        },
    )
    if shared and therapist.is_approved:
        notice = dt.timedelta(hours=therapist.min_notice_hours)
        shown = [slot for _, slots in offers for slot, _ in slots]
        pagecache.put(key, response.content, now=now, expires=[s - notice for s in shown])
    return response


# --- The therapist's calendar and feed ------------------------------------------------------------


def _parse_calendar_bound(value: str, tz: dt.tzinfo) -> dt.datetime | None:
    """A date or a date and time (naive ones in the therapist's zone) within the range
    ``core.inputs`` allows, else None."""
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        return parse_moment(f"{day.isoformat()}T00:00:00", default_zone=tz)
    return parse_moment(value, default_zone=tz)


@therapist_required
@require_GET
def calendar_events(request: TherapistHttpRequest) -> HttpResponse:
    therapist = request.therapist
    start = _parse_calendar_bound(request.GET.get("start", ""), therapist.tz)
    end = _parse_calendar_bound(request.GET.get("end", ""), therapist.tz)
    if start is None or end is None or end <= start or end - start > dt.timedelta(days=62):
        return JsonResponse(
            {"error": _("Give start and end dates at most two months apart.")}, status=400
        )
    events = booking_selectors.calendar_events(therapist=therapist, start=start, end=end)
    return JsonResponse(events, safe=False)


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    therapist = TherapistProfile.objects.filter(calendar_token=token).first()
    if therapist is None or not token:
        raise Http404
    body = therapist_feed(
        therapist=therapist,
        bookings=booking_selectors.feed_bookings(therapist=therapist),
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


# --- The visit page -------------------------------------------------------------------------------


def _intake_context(user: Any, booking: Booking) -> dict[str, Any]:
    """The intake block of the visit page, only if the health-data rule lets ``user`` see it
    now; the look is logged. Before and during a visit the therapist needs the client's latest
    answers; after it, the version the visit was booked on."""
    intake = booking.intake
    if booking.is_active or intake is None:
        intake = intake_current(client=booking.client) or intake
    if intake is None:
        return {"intake": None, "flags": [], "changes": [], "map": None}
    access = health_view(
        user=user,
        client=booking.client,
        record=IntakeAccessLog.Record.INTAKE,
        context=f"visit:{booking.pk}",
        intake=intake,
    )
    if not access:
        return {"intake": None, "flags": [], "changes": [], "map": None}
    areas = pain_areas_sorted(intake=intake)
    return {
        "intake": intake,
        # The client's body map, drawn: where it hurts, how much, and where it travels.
        "map": {
            "selected": [a.region for a in areas],
            "intensities": {a.region: a.intensity for a in areas},
            "referred": sorted({t for a in areas for t in a.refers_to}),
        },
        "flags": care_flags(
            intake=intake,
            booking=booking,
            history=booking_selectors.visit_history(
                client=booking.client, before=booking.starts_at, exclude=booking
            ),
        ),
        "changes": intake_changes(intake_previous(intake=intake), intake),
    }


def _contact(user: Any, booking: Booking) -> dict[str, str] | None:
    """The client's phone and emergency contact, inside the care window only (logged)."""
    access = health_view(
        user=user,
        client=booking.client,
        record=IntakeAccessLog.Record.CONTACT,
        context=f"visit:{booking.pk}",
    )
    if not access:
        return None
    client = booking.client
    return {
        "phone": client.phone,
        "emergency_name": client.emergency_contact_name,
        "emergency_phone": client.emergency_contact_phone,
    }


@login_required
@require_GET
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not (getattr(user, "is_therapist", False) or user.is_staff):
        raise PermissionDenied
    booking = booking_selectors.visit_for_viewer(pk=pk, user=user)
    if booking is None:
        raise Http404
    now = timezone.now()
    actions: list[tuple[str, str, str]] = []
    if booking.status == Booking.Status.PENDING:
        actions = [
            ("confirm", _("Confirm visit"), "primary"),
            ("decline", _("Decline"), "outline-danger"),
        ]
    elif booking.status == Booking.Status.AWAITING_CLEARANCE:
        actions = [
            ("record_clearance", _("Record clearance seen"), "primary"),
            ("postpone", _("Postpone until cleared"), "outline-secondary"),
            ("decline", _("Decline"), "outline-danger"),
        ]
    elif booking.status == Booking.Status.CONFIRMED:
        if booking.starts_at <= now:
            actions = [
                ("complete", _("Mark completed"), "primary"),
                ("no_show", _("Client was not there"), "outline-secondary"),
            ]
        else:
            actions = [
                ("cancel", _("Cancel visit"), "outline-danger"),
                # The client phoned to cancel: the client's cancellation (a late-cancel fee
                # inside the cut-off), not the therapist's (refunded in full).
                ("cancel_for_client", _("Cancel at the client's request"), "outline-danger"),
            ]
    return render(
        request,
        "therapists/visit.html",
        {
            "booking": booking,
            "therapist": booking.therapist,
            "actions": actions,
            "ac": aftercare_selectors.visit_aftercare(booking=booking, user=user, now=now),
            "contact": _contact(user, booking),
            "before_treating": BEFORE_TREATING,
            "money": payment_selectors.booking_money(booking=booking),
            **_intake_context(user, booking),
        },
    )
