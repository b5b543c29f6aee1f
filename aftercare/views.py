"""Aftercare pages: session notes (therapist), feedback (signed link or dashboard), the
one-click unsubscribe, and series of visits (client). Views parse, call one service or
selector, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import request_user
from booking.models import Booking
from booking.selectors import available_slots, booking_review
from booking.services import (
    BookingRefused,
    ClearanceRequired,
    IntakeRequired,
    client_may_change,
)
from clients.models import ClientProfile
from clients.selectors import client_profile_for
from core.inputs import parse_id, parse_moment
from core.timefmt import format_long_date
from core.zones import viewer_zone
from therapists.models import Service, TherapistProfile

from . import selectors, services, tokens
from .forms import FeedbackForm, SeriesConfirmForm, SeriesForm, SessionNoteForm
from .messages import client_tz, local_label, series_url
from .models import BookingSeries, Feedback, SessionNote


def _client_of(request: HttpRequest) -> ClientProfile | None:
    return client_profile_for(user=request.user)


def _add_form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


def _visit_url(booking: Booking) -> str:
    return reverse("therapists:visit", kwargs={"pk": booking.pk})


# --- Session notes ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def session_note(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(
        Booking.objects.select_related("client__user", "therapist", "service", "intake"), pk=pk
    )
    page = selectors.note_page(booking=booking, user=request.user)
    if page is None:
        # Not "forbidden": to anyone who may not see them, the notes do not exist.
        raise Http404
    note = page.note
    form = None
    if page.access == selectors.WRITE:
        if request.method == "POST":
            form = SessionNoteForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.session_note_save(
                        booking=booking,
                        therapist=booking.therapist,
                        treated_areas=data["areas"],
                        pressure_used=data["pressure_used"],
                        trigger_points=data["trigger_points"],
                        client_response=data["client_response"],
                        advice=data["advice"],
                        follow_up_days=data["follow_up_days"],
                        actor=request_user(request),
                    )
                except ValidationError as exc:
                    _add_form_errors(form, exc)
                except services.NoteRefused as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(
                        request,
                        _("Notes saved. The client's aftercare reminders are scheduled."),
                    )
                    return redirect("aftercare:session_note", pk=booking.pk)
        else:
            form = SessionNoteForm(initial=_note_initial(page))
    elif request.method == "POST":
        raise Http404
    tz = viewer_zone(request.user)
    return render(
        request,
        "aftercare/session_note.html",
        {
            "booking": booking,
            "note": note,
            "form": form,
            "access": page.access,
            "visit_when": local_label(booking.starts_at, tz),
            "history": page.history,
            "feedback_list": page.feedback,
            "this_feedback": page.this_feedback,
            "charts": page.charts,
            "visit_url": _visit_url(booking),
            "client": booking.client,
            "viewer_tz": tz,
        },
    )


def _note_initial(page: selectors.NotePage) -> dict[str, Any]:
    note = page.note
    if note is not None:
        return {
            "areas": note.treated_areas,
            "trigger_points": note.trigger_points,
            "pressure_used": note.pressure_used,
            "client_response": note.client_response,
            "advice": note.advice,
            "follow_up_days": note.follow_up_days,
        }
    return {"areas": page.intake_areas, "follow_up_days": 14}


# --- Feedback ---------------------------------------------------------------------------------


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "aftercare/link_refused.html", {"reason": reason}, status=status)


def _feedback_page(
    request: HttpRequest, booking: Booking, *, action_url: str, via_link: bool
) -> HttpResponse:
    note = SessionNote.objects.filter(booking=booking).first()
    areas = note.treated_areas if note else []
    existing = Feedback.objects.filter(booking=booking).first()
    if request.method == "POST":
        form = FeedbackForm(request.POST, areas=areas)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.feedback_submit(
                    booking=booking,
                    soreness=data["soreness"],
                    pressure=data["pressure"],
                    rating=data["rating"],
                    area_soreness=form.area_soreness(),
                    comment=data["comment"],
                    message=data["message"],
                )
            except ValidationError as exc:
                _add_form_errors(form, exc)
            except services.FeedbackRefused as exc:
                form.add_error(None, str(exc))
            else:
                return redirect(f"{action_url}?saved=1")
    else:
        initial: dict[str, Any] = {}
        if existing is not None:
            initial = {
                "soreness": existing.soreness,
                "pressure": existing.pressure,
                "rating": existing.rating,
                "comment": existing.comment,
                "message": existing.message,
                **{f"area_{k}": v for k, v in existing.area_soreness.items()},
            }
        form = FeedbackForm(initial=initial, areas=areas)
    tz = client_tz(booking.client)
    return render(
        request,
        "aftercare/feedback_form.html",
        {
            "booking": booking,
            "form": form,
            "feedback": existing,
            "saved": request.GET.get("saved") == "1" and existing is not None,
            "action_url": action_url,
            "via_link": via_link,
            "visit_when": local_label(booking.starts_at, tz),
            "treated": note.treated_area_labels if note else [],
        },
    )


@require_http_methods(["GET", "POST"])
def feedback_link(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """Feedback without logging in: the signed link from the reminder e-mails."""
    try:
        claim = tokens.feedback_token_check(token, booking_id=pk)
    except tokens.LinkRefused as exc:
        return _refused(request, exc.reason, exc.status)
    booking = (
        Booking.objects.select_related("client__user", "therapist", "service")
        .filter(pk=claim.booking_id, client_id=claim.client_id)
        .first()
    )
    if booking is None:
        return _refused(request, "wrong_visit", 403)
    if booking.status != Booking.Status.COMPLETED:
        return _refused(request, "not_completed", 403)
    action = reverse("aftercare:feedback_link", kwargs={"pk": pk, "token": token})
    return _feedback_page(request, booking, action_url=action, via_link=True)


@login_required
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Feedback from the dashboard, logged in as the visit's client."""
    client = _client_of(request)
    booking = get_object_or_404(
        Booking.objects.select_related("client__user", "therapist", "service"),
        pk=pk,
        client=client,
    )
    if booking.status != Booking.Status.COMPLETED:
        return _refused(request, "not_completed", 403)
    action = reverse("aftercare:feedback", kwargs={"pk": pk})
    return _feedback_page(request, booking, action_url=action, via_link=False)


@login_required
@require_POST
def pressure_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    feedback_obj = get_object_or_404(Feedback, pk=pk, client__user=request.user)
    accept = request.POST.get("answer") == "accept"
    try:
        services.pressure_suggestion_answer(
            feedback=feedback_obj,
            accept=accept,
            actor=request_user(request),
        )
    except (services.FeedbackRefused, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        if accept:
            messages.success(
                request,
                _("Your pressure preference is updated; your next therapist will see it."),
            )
        else:
            messages.info(request, _("Your pressure preference stays as it is."))
    return redirect("dashboard")


# --- Unsubscribe ------------------------------------------------------------------------------


@csrf_exempt  # RFC 8058: mail providers POST here with no cookie; the signed token is the proof.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows one button (link scanners that follow links must not unsubscribe anyone);
    POST, from that button or from the mail program's own unsubscribe button, acts at once."""
    try:
        claim = tokens.unsubscribe_token_check(token)
    except tokens.LinkRefused as exc:
        return _refused(request, "unsubscribe_tampered", exc.status)
    client = ClientProfile.objects.filter(pk=claim.client_id).select_related("user").first()
    if client is None:
        return _refused(request, "unsubscribe_tampered", 400)
    done = None
    if request.method == "POST":
        enable = request.POST.get("action") == "resubscribe"
        # Only the kind of e-mail this link came from: stopping suggestions never stops the
        # e-mails about a visit the client booked.
        services.client_emails_set(client=client, kind=claim.kind, enabled=enable)
        done = "on" if enable else "off"
    field_name = services.CONSENTS[claim.kind]
    return render(
        request,
        "aftercare/unsubscribe.html",
        {
            "client": client,
            "done": done,
            "token": token,
            "kind": claim.kind,
            "enabled": getattr(client, field_name),
        },
    )


@login_required
@require_POST
def emails(request: HttpRequest) -> HttpResponse:
    """The dashboard's two e-mail switches: about booked visits, and suggestions."""
    client = _client_of(request)
    if client is None:
        raise Http404
    for kind in services.CONSENTS:
        services.client_emails_set(client=client, kind=kind, enabled=request.POST.get(kind) == "on")
    messages.success(request, _("Your e-mail choices are saved."))
    return redirect("dashboard")


# --- Series of visits ---------------------------------------------------------------------------


def _series_choices(
    *, therapist: TherapistProfile, service: Service, client: ClientProfile
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every free start time over the next three weeks, grouped by day (a native select with
    one group per day is quick to use on a phone)."""
    now = timezone.now()
    slots = available_slots(
        therapist=therapist,
        service=service,
        start_date=timezone.localtime(now, therapist.tz).date(),
        days=21,
        client=client,
        now=now,
    )
    tz = client_tz(client)
    days: dict[str, list[tuple[str, str]]] = {}
    for start in slots:
        local = timezone.localtime(start, tz)
        day = format_long_date(local.date(), zone=tz)
        label = local_label(start, tz)
        days.setdefault(day, []).append((start.isoformat(), label))
    return list(days.items())


@login_required
@require_http_methods(["GET", "POST"])
def series_new(request: HttpRequest) -> HttpResponse:
    client = _client_of(request)
    if client is None:
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    # An id that is not a plain number the database can hold names nothing: 404, like a
    # missing one.
    therapist = get_object_or_404(
        TherapistProfile,
        pk=parse_id(source.get("therapist")) or 0,
        approval=TherapistProfile.Approval.APPROVED,
    )
    service = get_object_or_404(
        Service, pk=parse_id(source.get("service")) or 0, therapist=therapist, is_active=True
    )
    tz = client_tz(client)
    state = booking_review(client=client, therapist=therapist, service=service)
    if state.refusal is not None:
        return _series_refused(request, state.refusal, therapist=therapist, service=service)
    choices = _series_choices(therapist=therapist, service=service, client=client)
    form = SeriesForm(
        request.POST if request.method == "POST" else None,
        slots=choices,
        initial={"first": _chosen_start(request.GET.get("starts_at"), choices)},
    )
    form.fields["first"].help_text = _(
        "Free times over the next three weeks, in your time zone (%(tz)s). Later visits keep the "
        "same weekday and time."
    ) % {"tz": tz.key}
    context: dict[str, Any] = {
        "therapist": therapist,
        "service": service,
        "form": form,
        "tz": tz,
        "clearance": state.clearance,
    }
    if request.method == "POST" and request.POST.get("step") == "confirm":
        return _series_confirm(request, client, therapist, service, context)
    if request.method == "POST" and form.is_valid():
        occurrences = services.series_preview(
            client=client,
            therapist=therapist,
            service=service,
            first_starts_at=form.first_starts_at(),
            interval_weeks=form.cleaned_data["interval_weeks"],
            visit_count=form.cleaned_data["visit_count"],
        )
        context.update(_preview_context(occurrences, tz, form.cleaned_data["interval_weeks"]))
        return render(request, "aftercare/series_preview.html", context)
    return render(request, "aftercare/series_new.html", context)


def _chosen_start(
    value: str | None, choices: list[tuple[str, list[tuple[str, str]]]]
) -> str | None:
    """The time a follow-up link chose, if it is still free; else the first free time."""
    flat = [iso for _day, times in choices for iso, _label in times]
    if value:
        moment = parse_moment(value)
        wanted = moment.isoformat() if moment else None
        if wanted in flat:
            return wanted
    return flat[0] if flat else None


def _preview_context(
    occurrences: list[services.SeriesOccurrence], tz: Any, interval: int
) -> dict[str, Any]:
    rows = []
    for occ in occurrences:
        rows.append(
            {
                "index": occ.index,
                "number": occ.index + 1,
                "wanted": occ.wanted.isoformat(),
                "wanted_label": local_label(occ.wanted, tz),
                "free": occ.free,
                "alternatives": [(a.isoformat(), local_label(a, tz)) for a in occ.alternatives],
            }
        )
    return {
        "rows": rows,
        "interval_weeks": interval,
        "clashes": sum(1 for r in rows if not r["free"]),
        "count": len(rows),
    }


def _series_refused(
    request: HttpRequest,
    refusal: BookingRefused,
    *,
    therapist: TherapistProfile,
    service: Service,
) -> HttpResponse:
    """A booking rule refused the series: an intake to fill in is a step (and back here);
    anything else is said on the therapist's profile."""
    back = series_url(therapist_id=therapist.pk, service_id=service.pk)
    if isinstance(refusal, IntakeRequired):
        messages.info(request, str(refusal))
        return redirect(f"{reverse('clients:intake_edit')}?{urlencode({'next': back})}")
    messages.error(request, str(refusal))
    return redirect(therapist.get_absolute_url())


def _series_confirm(
    request: HttpRequest,
    client: ClientProfile,
    therapist: TherapistProfile,
    service: Service,
    context: dict[str, Any],
) -> HttpResponse:
    form = SeriesConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Something in that form was not valid; please start again."))
        return redirect(series_url(therapist_id=therapist.pk, service_id=service.pk))
    count = form.cleaned_data["count"]
    interval = form.cleaned_data["interval_weeks"]
    starts = form.starts()
    tz = client_tz(client)
    try:
        series = services.series_create(
            client=client,
            therapist=therapist,
            service=service,
            starts=starts,
            interval_weeks=interval,
            actor=request_user(request),
            clearance_acknowledged=form.cleaned_data["acknowledge"],
        )
    except services.SeriesClash as exc:
        messages.error(
            request,
            _(
                "%(when)s was taken while you were choosing, so nothing was booked. "
                "Here are the times again."
            )
            % {"when": local_label(exc.starts_at, tz)},
        )
    except ClearanceRequired as exc:
        context["acknowledge_error"] = str(exc)
    except BookingRefused as exc:
        return _series_refused(request, exc, therapist=therapist, service=service)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(series_url(therapist_id=therapist.pk, service_id=service.pk))
    else:
        messages.success(
            request,
            _("Booked %(n)s visits with %(name)s.")
            % {"n": len(starts), "name": therapist.display_name},
        )
        return redirect("aftercare:series_detail", pk=series.pk)
    # Show the times again (the clash, or the acknowledgement that was missing).
    occurrences = services.series_preview(
        client=client,
        therapist=therapist,
        service=service,
        first_starts_at=min(starts),
        interval_weeks=interval,
        visit_count=count,
    )
    context.update(_preview_context(occurrences, tz, interval))
    return render(request, "aftercare/series_preview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client_of(request)
    series = get_object_or_404(
        BookingSeries.objects.select_related("therapist", "service"), pk=pk, client=client
    )
    if request.method == "POST":
        if request.POST.get("action") == "cancel_all":
            cancelled, refused = services.series_cancel(series=series, actor=request_user(request))
            if cancelled:
                messages.success(request, _("Cancelled %(n)s visits.") % {"n": len(cancelled)})
            for _booking, reason in refused:
                messages.error(request, reason)
        else:
            booking = get_object_or_404(
                Booking, pk=parse_id(request.POST.get("booking")) or 0, client=client
            )
            try:
                services.series_visit_cancel(
                    series=series, booking=booking, actor=request_user(request)
                )
            except (BookingRefused, ValidationError) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                messages.success(
                    request, _("That visit is cancelled; the rest of the series stays.")
                )
        return redirect("aftercare:series_detail", pk=series.pk)
    assert client is not None  # the series above was looked up by it
    tz = client_tz(client)
    now = timezone.now()
    visits = [
        {
            "booking": v.booking,
            "when": local_label(v.booking.starts_at, tz),
            # The same rule the service applies: active, and before the cut-off.
            "can_cancel": client_may_change(v.booking, now=now),
        }
        for v in series.visits.select_related("booking")
    ]
    return render(
        request,
        "aftercare/series_detail.html",
        {
            "series": series,
            "visits": visits,
            "any_active": any(v["can_cancel"] for v in visits),
        },
    )
