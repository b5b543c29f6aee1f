"""Payment pages: the card setup the review page's script asks for, the Stripe webhook, the
receipt (logged in, or through the signed link in the receipt e-mail), the tip page, and
"check my payment" after the client confirmed one in the browser. Views parse and translate;
``payments.services`` decides."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from booking.models import Booking
from booking.selectors import bookable_service
from clients.selectors import client_profile_for
from core.links import LinkRefused
from core.timefmt import TIME_FORMAT, local_label
from core.zones import zone_for
from payments import links
from payments.checkout import stripe_js
from payments.forms import TipForm
from payments.models import BookingTerms, Payment
from payments.selectors import booking_money
from payments.services import (
    UNREACHABLE,
    PaymentRefused,
    WebhookRefused,
    payment_client_secret,
    payment_sync,
    tip_create,
    webhook_receive,
)
from payments.services import checkout_setup as checkout_setup_service


@login_required
@require_POST
def checkout_setup(request: HttpRequest) -> JsonResponse:
    """The review page's script: a SetupIntent for the card about to be entered."""
    client = client_profile_for(user=request.user)
    if client is None:
        return JsonResponse({"error": _("Bookings are made from a client account.")}, status=403)
    service = bookable_service(request.POST.get("therapist"), request.POST.get("service"))
    if service is None:
        return JsonResponse(
            {"error": _("That therapist or service is not available for booking.")}, status=400
        )
    try:
        secret = checkout_setup_service(
            client=client,
            token=request.POST.get("checkout", ""),
            therapist=service.therapist,
            service=service,
        )
    except PaymentRefused as exc:
        # Stripe out of reach is ours to fix (503); a stale or forged checkout token is the
        # request's (400), like any other bad input.
        status = 503 if exc.code == UNREACHABLE else 400
        return JsonResponse({"error": str(exc)}, status=status)
    return JsonResponse({"client_secret": secret})


@csrf_exempt  # Stripe cannot send our CSRF token: the signature is checked instead.
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookRefused:
        return HttpResponse("bad signature", status=400, content_type="text/plain")
    return JsonResponse({"received": event.event_id, "outcome": event.outcome})


# --- Receipts and tips --------------------------------------------------------------------------


LINK_TEXT = {
    "expired": _("This link has expired. Log in to see your receipts."),
    "tampered": _("This link is not valid. Use the link from the e-mail exactly as it is."),
    "wrong_booking": _("This link is not for this visit."),
}


def _linked_booking(request: HttpRequest, pk: int, token: str) -> Booking | HttpResponse:
    try:
        links.visit_token_check(token, booking_id=pk)
    except LinkRefused as exc:
        return render(
            request,
            "payments/link_refused.html",
            {"text": LINK_TEXT.get(exc.reason, LINK_TEXT["tampered"])},
            status=exc.status,
        )
    return get_object_or_404(_bookings(), pk=pk)


def _bookings() -> Any:
    return Booking.objects.select_related("client__user", "therapist__user", "service__modality")


def _receipt_context(booking: Booking, *, token: str = "") -> dict[str, Any]:
    zone = zone_for(booking.client)
    money = booking_money(booking=booking)
    confirm = money.needs_action
    return {
        "booking": booking,
        "money": money,
        "zone": zone,
        "when": local_label(booking.starts_at, zone),
        "ends": local_label(booking.ends_at, zone, TIME_FORMAT),
        "tip_url": links.tip_url(booking_id=booking.pk),
        "confirm": confirm,
        "confirm_secret": payment_client_secret(payment=confirm) if confirm else "",
        "sync_url": reverse("payments:sync", kwargs={"pk": booking.pk, "token": token})
        if token
        else "",
        **stripe_js(),
    }


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(_bookings(), pk=pk, client__user_id=request.user.pk)
    token = links.visit_token(booking_id=booking.pk)
    return render(request, "payments/receipt.html", _receipt_context(booking, token=token))


def receipt_link(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    booking = _linked_booking(request, pk, token)
    if isinstance(booking, HttpResponse):
        return booking
    return render(request, "payments/receipt.html", _receipt_context(booking, token=token))


@require_POST
def sync(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """After the client confirmed a payment in the browser: ask Stripe how it went."""
    booking = _linked_booking(request, pk, token)
    if isinstance(booking, HttpResponse):
        return booking
    for payment in Payment.objects.filter(
        booking=booking, status__in=(Payment.Status.REQUIRES_ACTION, Payment.Status.PROCESSING)
    ):
        payment_sync(payment=payment)
    return redirect("payments:receipt_link", pk=pk, token=token)


@require_http_methods(["GET", "POST"])
def tip(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    booking = _linked_booking(request, pk, token)
    if isinstance(booking, HttpResponse):
        return booking
    terms = BookingTerms.objects.filter(booking=booking).first()
    if terms is None:
        raise Http404
    form = TipForm(request.POST or None, price_cents=terms.price_cents, currency=terms.currency)
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            payment = tip_create(booking=booking, amount_cents=form.cleaned_data["cents"])
        except PaymentRefused as exc:
            refused = str(exc)
        else:
            if payment is None:
                messages.info(request, _("No tip added. Thank you for your visit!"))
            elif payment.status == Payment.Status.SUCCEEDED:
                messages.success(request, _("Thank you! Your tip goes to your therapist."))
            elif payment.status == Payment.Status.FAILED:
                refused = payment.message or _("Your card was declined.")
            else:
                messages.info(request, payment.message or _("Your tip is being processed."))
            if not refused:
                return redirect("payments:receipt_link", pk=pk, token=token)
    existing = Payment.objects.filter(booking=booking, action=Payment.Action.TIP).first()
    return render(
        request,
        "payments/tip.html",
        {
            "booking": booking,
            "form": form,
            "refused": refused,
            "already": existing if existing and existing.status != Payment.Status.FAILED else None,
            "receipt_url": reverse("payments:receipt_link", kwargs={"pk": pk, "token": token}),
            "therapist": booking.therapist,
        },
    )
