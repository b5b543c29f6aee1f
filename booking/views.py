"""The booking flow, the client's visit pages, signed e-mail links, the therapist's actions and
the slots API. Views parse the request, call a selector or a service, and render; the rules
live in ``booking.policy`` (enforced by ``booking.services``), which free times to show in
``booking.selectors``, and how to lay them out in ``booking.presenters``. A refusal from a
service is translated here into a message, a redirect or a status: never decided here.

The flow is one address, ``/book/``, whose query says how far the client got:
``?modality=&duration=`` (who), ``?therapist=&service=[&day=]`` (when),
then ``/book/review/?therapist=&service=&starts_at=`` (review and confirm). Every step is a
plain GET page that works without JavaScript; with htmx, picking a day swaps only the slot
list.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TypedDict
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import request_user
from accounts.models import User
from booking import checkout, links, policy
from booking.forms import (
    CancelForm,
    ChooseServiceForm,
    ConfirmForm,
    RescheduleForm,
    VisitActionForm,
    parse_slot,
)
from booking.models import Booking
from booking.presenters import (
    FIRST_AVAILABLE_SHOWN,
    SlotLink,
    next_free,
    slot_picker,
    spread,
    to_date,
    to_int,
    url,
)
from booking.selectors import (
    available_slots,
    bookable_service,
    bookable_therapists,
    booking_review,
    earliest_slots,
    slots_api_lookup,
    therapist_reach,
    therapists_covering,
    viewer_area,
)
from booking.services import (
    BookingRefused,
    ClearanceRequired,
    IntakeRequired,
    SlotUnavailable,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_create,
    booking_decline,
    booking_mark_no_show,
    booking_record_clearance,
    booking_reschedule,
    cancellation_deadline,
    client_may_change,
)
from booking.templatetags.booking_tags import slot_value
from booking.wording import POSTPONED_UNTIL_CLEARED, PREPARE_AT_HOME, policy_text
from clients.models import ClientProfile
from clients.selectors import client_profile_for
from core import pagecache
from core.http import HtmxHttpRequest
from core.inputs import EARLIEST_DAY, LATEST_DAY
from core.timefmt import TIME_FORMAT, format_range, local_label, zone_name
from core.zones import zone_for
from therapists.models import Modality, Service, TherapistProfile

# The slots API answers for at most this many days per request.
API_MAX_DAYS = 31


# --- Helpers ---------------------------------------------------------------------------------


class _TherapistCard(TypedDict):
    """One therapist on the "who" step."""

    therapist: TherapistProfile
    service: Service
    next: str
    next_at: dt.datetime | None
    url: str


def _client_for(user: Any) -> ClientProfile | None:
    return client_profile_for(user=user)


def _visit_url(booking: Booking) -> str:
    return reverse("therapists:visit", kwargs={"pk": booking.pk})


# --- Step 1 to 3: what, who, when ---------------------------------------------------------------


@require_GET
def start(request: HtmxHttpRequest) -> HttpResponse:
    client = _client_for(request.user)
    zone = zone_for(client)
    params = request.GET
    if params.get("therapist") and not params.get("service"):
        # A therapist but no service: their profile lists what they offer, each with a link
        # back here.
        therapist_id = to_int(params["therapist"])
        therapist = (
            TherapistProfile.objects.filter(
                pk=therapist_id, approval=TherapistProfile.Approval.APPROVED
            ).first()
            if therapist_id is not None
            else None
        )
        if therapist is not None:
            return redirect(therapist.get_absolute_url())
    if params.get("therapist") or params.get("service"):
        service = bookable_service(params.get("therapist"), params.get("service"))
        if service is None:
            messages.error(
                request,
                _("That therapist or service is not available for booking. Please choose again."),
            )
            form = ChooseServiceForm(show_postcode=client is None)
            return render(request, "booking/start.html", {"form": form, "step": 1})
        if params.get("starts_at"):
            # A link with a time in it (the aftercare follow-up e-mail): straight to review.
            return redirect(
                url(
                    "booking:review",
                    {
                        "therapist": service.therapist_id,
                        "service": service.pk,
                        "starts_at": params["starts_at"],
                    },
                )
            )
        return _when_step(request, service=service, client=client, zone=zone)

    if params.get("edit"):
        # "Change" from a later step: the same choices, pre-selected, not yet submitted.
        form = ChooseServiceForm(initial=params.dict(), show_postcode=client is None)
        return render(request, "booking/start.html", {"form": form, "step": 1})
    form = ChooseServiceForm(params or None, show_postcode=client is None)
    if params and form.is_valid():
        return _who_step(request, form=form, client=client, zone=zone)
    return render(request, "booking/start.html", {"form": form, "step": 1})


def _who_step(
    request: HttpRequest, *, form: ChooseServiceForm, client: ClientProfile | None, zone: Any
) -> HttpResponse:
    slug = form.cleaned_data["modality"]
    minutes = form.cleaned_data["duration"]
    postcode = client.postcode if client else form.cleaned_data.get("postcode", "").strip()
    modality = Modality.objects.get(slug=slug)
    # One pass over every matching service: the soonest offers overall ("first available")
    # and each therapist's next free time.
    offers = earliest_slots(
        modality=slug,
        duration_minutes=minutes,
        postcode=postcode or None,
        client=client,
        limit=500,
    )
    shown = spread(offers, FIRST_AVAILABLE_SHOWN)
    first_available = [
        SlotLink(
            o.starts_at,
            local_label(o.starts_at, zone),
            url(
                "booking:review",
                {
                    "therapist": o.therapist.pk,
                    "service": o.service.pk,
                    "starts_at": slot_value(o.starts_at),
                },
            ),
        )
        for o in shown
    ]
    first_offer_names = [o.therapist.display_name for o in shown]
    next_by_therapist: dict[int, dt.datetime] = {}
    for offer in offers:
        next_by_therapist.setdefault(offer.therapist.pk, offer.starts_at)

    therapists = bookable_therapists(modality=slug, postcode=postcode or None, client=client)
    services = {
        s.therapist_id: s
        for s in Service.objects.filter(
            therapist__in=therapists,
            modality__slug=slug,
            duration_minutes=minutes,
            is_active=True,
        )
    }
    cards: list[_TherapistCard] = []
    for therapist in therapists:
        service = services.get(therapist.pk)
        if service is None:
            continue
        next_slot = next_by_therapist.get(therapist.pk)
        cards.append(
            {
                "therapist": therapist,
                "service": service,
                "next": local_label(next_slot, zone) if next_slot else "",
                "next_at": next_slot,
                "url": url(
                    "booking:start",
                    {
                        "therapist": therapist.pk,
                        "service": service.pk,
                        # A visitor's ZIP goes with them: the next step shows times for it.
                        "postcode": postcode if client is None else None,
                    },
                ),
            }
        )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    cards.sort(key=lambda c: (c["next_at"] or far, c["therapist"].display_name))
    return render(
        request,
        "booking/who.html",
        {
            "step": 2,
            "modality": modality,
            "minutes": minutes,
            "postcode": postcode,
            "first_available": list(zip(first_available, first_offer_names, strict=True)),
            "cards": cards,
            "zone_name": zone_name(zone),
            "change_url": url("booking:start", {"modality": slug, "duration": minutes, "edit": 1}),
        },
    )


def _when_step(
    request: HtmxHttpRequest, *, service: Service, client: ClientProfile | None, zone: Any
) -> HttpResponse:
    therapist = service.therapist
    base: dict[str, int | str] = {"therapist": therapist.pk, "service": service.pk}
    first_day = to_date(request.GET.get("start"))
    day = to_date(request.GET.get("day"))
    if day is not None and first_day is None:
        first_day = day
    # The client's saved address (or a visitor's ``?postcode=``): a therapist who does not
    # reach it says so, with who does, instead of a fortnight of empty days.
    area = viewer_area(client=client, postcode=request.GET.get("postcode", ""))
    reach = therapist_reach(therapist=therapist, area=area)
    # A visitor's ZIP goes with every link of the picker; without one (or with one we cannot
    # place) the page asks for it before showing times that may not be theirs.
    if not area.saved and area.point is not None:
        base = {**base, "postcode": area.postcode}
    if not reach.reaches or area.asked:
        covering = [
            (
                t,
                t.get_absolute_url()
                + ("" if area.saved else "?" + urlencode({"postcode": area.postcode})),
            )
            for t in therapists_covering(
                area=area, modality=service.modality.slug, client=client, exclude=therapist
            )
        ]
        return render(
            request,
            "booking/when.html",
            {
                "step": 3,
                "service": service,
                "therapist": therapist,
                "picker": None,
                "area": area,
                "reach": reach,
                "covering": covering,
                "keep": base,
                "edit_address_url": url("clients:profile_edit", {"next": request.get_full_path()}),
                "back_url": url(
                    "booking:start",
                    {"modality": service.modality.slug, "duration": service.duration_minutes},
                ),
                "change_url": url(
                    "booking:start",
                    {
                        "modality": service.modality.slug,
                        "duration": service.duration_minutes,
                        "edit": 1,
                    },
                ),
            },
        )
    picker = slot_picker(
        service=service,
        client=client,
        zone=zone,
        first_day=first_day,
        day=day,
        page_url=lambda first, d: url(
            "booking:start",
            {**base, "start": first.isoformat(), "day": d.isoformat() if d else None},
        ),
        slot_url=lambda s: url("booking:review", {**base, "starts_at": slot_value(s)}),
    )
    context = {
        "step": 3,
        "service": service,
        "therapist": therapist,
        "picker": picker,
        "back_url": url(
            "booking:start",
            {"modality": service.modality.slug, "duration": service.duration_minutes},
        ),
        "change_url": url(
            "booking:start",
            {
                "modality": service.modality.slug,
                "duration": service.duration_minutes,
                "edit": 1,
            },
        ),
        "slot_action": "book",
    }
    if request.htmx:
        return render(request, "booking/_slot_picker.html", context)
    return render(request, "booking/when.html", context)


# --- Step 4: review and confirm ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user.is_client:
        messages.error(request, _("Bookings are made from a client account."))
        return redirect("dashboard")
    source = request.POST if request.method == "POST" else request.GET
    service = bookable_service(source.get("therapist"), source.get("service"))
    if service is None:
        messages.error(
            request,
            _("That therapist or service is not available for booking. Please choose again."),
        )
        return redirect("booking:start")
    therapist = service.therapist
    picked = parse_slot(source.get("starts_at"))
    when_url = url("booking:start", {"therapist": therapist.pk, "service": service.pk})
    if picked is None and request.method == "GET":
        messages.error(request, _("That time is not valid. Please choose one of the free times."))
        return redirect(when_url)

    here = url(
        "booking:review",
        {
            "therapist": therapist.pk,
            "service": service.pk,
            "starts_at": slot_value(picked) if picked else None,
        },
    )
    # Address first; the intake page brings the client back here with ``next``.
    client = _client_for(user)
    if client is None:
        messages.info(request, _("First, your address: your therapist comes to you."))
        return redirect(url("clients:profile_edit", {"next": here}))
    state = booking_review(
        client=client,
        therapist=therapist,
        service=service,
        starts_at=picked if request.method == "GET" else None,
    )
    if state.refusal is not None:
        return _refused(request, state.refusal, here=here, service=service)

    unavailable_message = ""
    taken = False
    # Payment is the registered checkout's business (booking.checkout): it may save a card or
    # hold a deposit before the booking is made, and let it go if the booking is refused.
    payment = checkout.current()
    payment_panel = None
    if request.method == "POST":
        form = ConfirmForm(request.POST, needs_acknowledgement=bool(state.clearance))
        if form.is_valid():
            starts_at = form.cleaned_data["starts_at"]
            try:
                payment.authorize(
                    request=request,
                    client=client,
                    therapist=therapist,
                    service=service,
                    starts_at=starts_at,
                )
                booking = booking_create(
                    client=client,
                    therapist=therapist,
                    service=service,
                    starts_at=starts_at,
                    actor=user,
                    clearance_acknowledged=form.cleaned_data["acknowledge"],
                )
            except checkout.CheckoutActionRequired as exc:
                payment_panel = exc.panel
            except checkout.CheckoutRefused as exc:
                form.add_error(None, str(exc))
            except SlotUnavailable as exc:
                payment.release(request=request, client=client)
                # A double click: the first request booked it for this very client.
                mine = Booking.objects.filter(
                    client=client,
                    service=service,
                    starts_at=starts_at,
                    status__in=Booking.ACTIVE_STATUSES,
                ).first()
                if mine is not None:
                    return redirect("booking:detail", pk=mine.pk)
                unavailable_message = str(exc)
                taken = True
                picked = starts_at
            except ClearanceRequired as exc:
                payment.release(request=request, client=client)
                form.add_error("acknowledge", str(exc))
            except BookingRefused as exc:
                payment.release(request=request, client=client)
                return _refused(request, exc, here=here, service=service)
            else:
                if booking.status == Booking.Status.PENDING:
                    messages.success(
                        request,
                        _(
                            "Request sent. %(therapist)s confirms within 24 hours; we e-mail you "
                            "when they answer."
                        )
                        % {"therapist": therapist.display_name},
                    )
                else:
                    messages.success(request, _("Booked. We have e-mailed you the details."))
                return redirect("booking:detail", pk=booking.pk)
        elif "starts_at" in form.errors:
            # A time we cannot read (or none chosen): offer real ones instead.
            unavailable_message = " ".join(str(e) for e in form.errors["starts_at"])
    else:
        form = ConfirmForm(
            initial={
                "therapist": therapist.pk,
                "service": service.pk,
                "starts_at": slot_value(picked) if picked else "",
            },
            needs_acknowledgement=bool(state.clearance),
        )
        # (a GET without a readable time was sent back to the days above)
        if picked and not state.slot_free:
            unavailable_message = (
                _("That time has passed. Please choose another.")
                if picked <= timezone.now()
                else _("That time is not free any more.")
            )

    zone = zone_for(client)
    alternatives: list[SlotLink] = []
    if unavailable_message:
        alternatives = [
            SlotLink(s, local_label(s, zone), slot_value(s))
            for s in next_free(service=service, client=client, after=picked)
        ]
    checked_alternative = request.POST.get("starts_at", "") if alternatives else ""
    return render(
        request,
        "booking/review.html",
        {
            "step": 4,
            "form": form,
            "service": service,
            "therapist": therapist,
            "client": client,
            "picked": picked,
            "picked_label": local_label(picked, zone) if picked else "",
            "picked_range": (
                format_range(picked, picked + dt.timedelta(minutes=service.duration_minutes), zone)
                if picked
                else ""
            ),
            "ends_label": (
                local_label(
                    picked + dt.timedelta(minutes=service.duration_minutes), zone, TIME_FORMAT
                )
                if picked
                else ""
            ),
            "intake": state.intake,
            "flags": state.flags,
            "clearance": state.clearance,
            "unavailable_message": unavailable_message,
            "taken": taken,
            "alternatives": alternatives,
            "checked_alternative": checked_alternative,
            "policy": policy_text(),
            "prepare": PREPARE_AT_HOME,
            "edit_profile_url": url("clients:profile_edit", {"next": here}),
            "edit_intake_url": url("clients:intake_edit", {"next": here}),
            "when_url": when_url,
            "how_you_pay": payment.expectation(therapist=therapist, service=service),
            "payment_panel": payment_panel
            or payment.review_panel(
                request=request, client=client, therapist=therapist, service=service
            ),
        },
    )


def _refused(
    request: HttpRequest, refusal: BookingRefused, *, here: str, service: Service
) -> HttpResponse:
    """Translate a booking refusal for the review page: an intake to fill in or review is a
    step to take (and back here after it); anything else is said, and the client chooses
    again."""
    if isinstance(refusal, IntakeRequired):
        messages.info(request, str(refusal))
        return redirect(url("clients:intake_edit", {"next": here}))
    messages.error(request, str(refusal))
    return redirect(url("therapists:directory", {"modality": service.modality.slug}))


# --- The client's visit -----------------------------------------------------------------------


def _own_booking(request: HttpRequest, pk: int) -> Booking:
    """The booking if it is the logged-in client's; 404 for anyone else, whatever the id."""
    return get_object_or_404(
        Booking.objects.select_related("client__user", "therapist__user", "service__modality"),
        pk=pk,
        client__user_id=request.user.pk,
    )


def _visit_context(booking: Booking) -> dict[str, Any]:
    zone = zone_for(booking.client)
    return {
        "booking": booking,
        "zone": zone,
        "when": local_label(booking.starts_at, zone),
        "ends": local_label(booking.ends_at, zone, TIME_FORMAT),
        "may_change": client_may_change(booking),
        "deadline": local_label(cancellation_deadline(booking), zone),
        "policy": policy_text(),
        "prepare": PREPARE_AT_HOME,
    }


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _own_booking(request, pk)
    context = _visit_context(booking)
    payment = checkout.current()
    context["payment_panel"] = payment.visit_panel(booking=booking)
    context["how_you_pay"] = payment.expectation(
        therapist=booking.therapist, service=booking.service, booking=booking
    )
    return render(request, "booking/detail.html", context)


def _cancel_page(
    request: HttpRequest,
    booking: Booking,
    *,
    actor: User,
    action_url: str,
    done_url: str,
    other_url: str,
) -> HttpResponse:
    refused = ""
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                booking_cancel(booking=booking, actor=actor, reason=form.cleaned_data["reason"])
            except BookingRefused as exc:
                refused = str(exc)
            else:
                messages.success(request, _("Your visit is cancelled. We have e-mailed you."))
                return redirect(done_url)
    else:
        form = CancelForm()
    booking.refresh_from_db()
    context = _visit_context(booking)
    if not refused and booking.is_active:
        refusal = policy.client_change_refusal(booking, action="cancel", now=timezone.now())
        refused = str(refusal) if refusal else ""
    context.update(
        {"form": form, "refused": refused, "action_url": action_url, "other_url": other_url}
    )
    return render(request, "booking/cancel.html", context)


def _reschedule_page(
    request: HtmxHttpRequest,
    booking: Booking,
    *,
    actor: User,
    action_url: str,
    done_url: str,
    other_url: str,
) -> HttpResponse:
    context = _visit_context(booking)
    zone = context["zone"]
    error = ""
    refused = ""
    chosen = None
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if form.is_valid():
            chosen = form.cleaned_data["starts_at"]
            try:
                booking_reschedule(booking=booking, actor=actor, starts_at=chosen)
            except SlotUnavailable:
                error = _("That time was just taken or is no longer free. Please choose another.")
                chosen = None
            except BookingRefused as exc:
                refused = str(exc)
            else:
                messages.success(request, _("Your visit has moved. We have e-mailed you."))
                return redirect(done_url)
        else:
            error = " ".join(str(e) for e in form.errors.get("starts_at", []))
    else:
        chosen = parse_slot(request.GET.get("starts_at"))
        if request.GET.get("starts_at") and chosen is None:
            error = _("That time is not valid. Please choose one of the free times.")
    if booking.is_active and not refused:
        refusal = policy.client_change_refusal(booking, action="move", now=timezone.now())
        refused = str(refusal) if refusal else ""
    picker = None
    if booking.is_active and not refused:
        first_day = to_date(request.GET.get("start"))
        day = to_date(request.GET.get("day"))
        picker = slot_picker(
            service=booking.service,
            client=booking.client,
            zone=zone,
            first_day=first_day or day,
            day=day,
            page_url=lambda first, d: _join(
                action_url, {"start": first.isoformat(), "day": d.isoformat() if d else None}
            ),
            slot_url=lambda s: _join(action_url, {"starts_at": slot_value(s)}),
            exclude_booking=booking,
        )
    context.update(
        {
            "picker": picker,
            "chosen": chosen,
            "chosen_label": local_label(chosen, zone) if chosen else "",
            "form": RescheduleForm(initial={"starts_at": slot_value(chosen) if chosen else ""}),
            "error": error,
            "refused": refused,
            "action_url": action_url,
            "other_url": other_url,
            "slot_action": "move",
        }
    )
    if request.htmx and request.method == "GET" and picker is not None:
        return render(request, "booking/_slot_picker.html", context)
    return render(request, "booking/reschedule.html", context)


def _join(url: str, params: dict[str, Any]) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    if not clean:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(clean)}"


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _own_booking(request, pk)
    return _cancel_page(
        request,
        booking,
        actor=request_user(request),
        action_url=reverse("booking:cancel", kwargs={"pk": pk}),
        done_url=reverse("booking:detail", kwargs={"pk": pk}),
        other_url=reverse("booking:reschedule", kwargs={"pk": pk}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    booking = _own_booking(request, pk)
    return _reschedule_page(
        request,
        booking,
        actor=request_user(request),
        action_url=reverse("booking:reschedule", kwargs={"pk": pk}),
        done_url=reverse("booking:detail", kwargs={"pk": pk}),
        other_url=reverse("booking:cancel", kwargs={"pk": pk}),
    )


# --- Signed links from e-mails ------------------------------------------------------------------

REFUSAL_TEXT = {
    "expired": (
        gettext_lazy("This link has expired."),
        gettext_lazy(
            "Links in our e-mails work for a limited time. Log in to see and change your visits."
        ),
    ),
    "tampered": (
        gettext_lazy("This link is not valid."),
        gettext_lazy(
            "It may have been cut short or changed. Use the link from the e-mail exactly as it "
            "is, or log in to see and change your visits."
        ),
    ),
    "wrong_booking": (
        gettext_lazy("This link is not for this visit."),
        gettext_lazy(
            "Each link works only for the visit it was sent about. Log in to see and change "
            "your visits."
        ),
    ),
}


def _link_booking(request: HttpRequest, pk: int, token: str, action: str) -> Booking | HttpResponse:
    try:
        links.manage_token_check(token, booking_id=pk, action=action)
    except links.LinkRefused as exc:
        title, text = REFUSAL_TEXT[exc.reason]
        return render(
            request,
            "booking/link_refused.html",
            {"title": title, "text": text, "reason": exc.reason},
            status=exc.status,
        )
    booking = (
        Booking.objects.select_related("client__user", "therapist__user", "service__modality")
        .filter(pk=pk)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


@require_http_methods(["GET", "POST"])
def link_cancel(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    booking = _link_booking(request, pk, token, "cancel")
    if isinstance(booking, HttpResponse):
        return booking
    here = request.path
    return _cancel_page(
        request,
        booking,
        actor=booking.client.user,
        action_url=here,
        done_url=here,
        other_url=links.manage_url(booking_id=booking.pk, action="reschedule"),
    )


@require_http_methods(["GET", "POST"])
def link_reschedule(request: HtmxHttpRequest, pk: int, token: str) -> HttpResponse:
    booking = _link_booking(request, pk, token, "reschedule")
    if isinstance(booking, HttpResponse):
        return booking
    here = request.path
    return _reschedule_page(
        request,
        booking,
        actor=booking.client.user,
        action_url=here,
        done_url=here,
        other_url=links.manage_url(booking_id=booking.pk, action="cancel"),
    )


# --- The therapist's actions --------------------------------------------------------------------


@login_required
@require_POST
def visit_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, decline, cancel, complete or mark a no-show, from the visit page. Only the
    booking's therapist and staff; anyone else gets the same 404 as for a missing booking."""
    user = request_user(request)
    booking = get_object_or_404(
        Booking.objects.select_related("therapist__user", "client__user", "service"), pk=pk
    )
    if not (user.is_staff or booking.therapist.user_id == user.pk):
        raise Http404
    form = VisitActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the actions on the page."))
        return redirect(_visit_url(booking))
    action = form.cleaned_data["action"]
    reason = form.cleaned_data["reason"]
    done = {
        "confirm": _("Visit confirmed. The client has been e-mailed."),
        "record_clearance": _(
            "Clearance recorded and the visit confirmed. The client has been e-mailed."
        ),
        "postpone": _("Visit postponed. The client is e-mailed to book again once cleared."),
        "decline": _("Visit declined. The client has been e-mailed."),
        "cancel": _("Visit cancelled. The client has been e-mailed."),
        "cancel_for_client": _(
            "Visit cancelled at the client's request. The client has been e-mailed."
        ),
        "complete": _("Visit marked completed. The client's aftercare reminders are scheduled."),
        "no_show": _("Visit marked as a no-show."),
    }
    try:
        if action == "confirm":
            booking_confirm(booking=booking, actor=user)
        elif action == "record_clearance":
            booking_record_clearance(booking=booking, actor=user, note=reason)
        elif action == "postpone":
            booking_decline(booking=booking, actor=user, reason=str(POSTPONED_UNTIL_CLEARED))
        elif action == "decline":
            booking_decline(booking=booking, actor=user, reason=reason)
        elif action == "cancel":
            booking_cancel(booking=booking, actor=user, reason=reason)
        elif action == "cancel_for_client":
            booking_cancel(booking=booking, actor=user, reason=reason, for_client=True)
        elif action == "complete":
            booking_complete(booking=booking, actor=user)
        else:
            booking_mark_no_show(booking=booking, actor=user)
    except BookingRefused as exc:
        messages.error(request, str(exc))
        return redirect(_visit_url(booking))
    messages.success(request, done[action])
    if action == "complete":
        return redirect("aftercare:session_note", pk=booking.pk)
    return redirect(_visit_url(booking))


# --- The slots API -----------------------------------------------------------------------------


def _api_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_GET
def api_slots(request: HttpRequest, pk: int) -> HttpResponse:
    """``/api/therapists/<id>/slots?service=<id>&start=YYYY-MM-DD&days=N``: the bookable start
    times, ISO 8601 in the therapist's zone with its offset. ``start`` defaults to today and
    ``days`` to 7 (at most 31)."""
    service_id = to_int(request.GET.get("service"))
    found = (
        slots_api_lookup(therapist_id=pk, service_id=service_id) if service_id is not None else None
    )
    if found is None:  # say which of the two is wrong
        if not TherapistProfile.objects.filter(
            pk=pk, approval=TherapistProfile.Approval.APPROVED
        ).exists():
            return _api_error(_("No therapist with that id is taking bookings."), 404)
        if service_id is None:
            return _api_error(_("Give service=<id>, one of this therapist's services."), 400)
        return _api_error(_("This therapist does not offer a service with that id."), 400)
    assert service_id is not None  # found says so
    version, zone_name, _notice = found
    tz = zone_for(zone_name)
    raw_start = request.GET.get("start")
    if raw_start:
        start_date = to_date(raw_start)
        if start_date is None:
            return _api_error(
                _("start must be a date written YYYY-MM-DD, from %(first)s to %(last)s.")
                % {"first": EARLIEST_DAY.year, "last": LATEST_DAY.year},
                400,
            )
    else:
        start_date = timezone.localtime(timezone.now(), tz).date()
    raw_days = request.GET.get("days")
    days = 7 if raw_days in (None, "") else to_int(raw_days)
    if days is None or days < 1:
        return _api_error(
            _("days must be a whole number from 1 to %(max)s.") % {"max": API_MAX_DAYS}, 400
        )
    days = min(days, API_MAX_DAYS)
    now = timezone.now()
    # A visitor without a session gets the same answer as every other one: the response is
    # kept until its first time stops being bookable or the therapist's calendar changes.
    shared = pagecache.servable(request)
    key = pagecache.key("slots", service_id, version, start_date, days)
    if shared and (body := pagecache.get(key, now=now)) is not None:
        return HttpResponse(body, content_type="application/json")
    service = Service.objects.select_related("therapist").get(pk=service_id)
    therapist = service.therapist
    slots = available_slots(
        therapist=therapist,
        service=service,
        start_date=start_date,
        days=days,
        client=None if shared else _client_for(request.user),
        now=now,
        rows_read_now=True,
    )
    body = json.dumps([s.astimezone(tz).isoformat() for s in slots]).encode()
    # Past the horizon new times appear as the clock moves on: those answers are not kept.
    horizon = (now + dt.timedelta(weeks=settings.BOOKING_HORIZON_WEEKS)).date()
    if shared and start_date.toordinal() + days < horizon.toordinal():
        notice = dt.timedelta(hours=therapist.min_notice_hours)
        pagecache.put(key, body, now=now, expires=[slots[0] - notice] if slots else [])
    return HttpResponse(body, content_type="application/json")
