"""The booking flow's checkout (``booking.checkout``), taken by Stripe: the review page shows
the terms and a card form (Stripe.js Elements: the card number goes from the browser to Stripe,
never here); before ``booking_create`` the card is saved and a deposit held; a refused booking
lets the deposit go. With ``PAYMENTS_ENABLED=0`` the page says "pay your therapist at the
visit" and nothing is asked."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from booking.checkout import CheckoutActionRequired, CheckoutRefused, Panel
from booking.models import Booking
from clients.models import ClientProfile
from payments import links
from payments.policy import pay_at_visit_text, terms_for, terms_text, to_cents
from payments.selectors import booking_money, payment_expectation, saved_card_label
from payments.services import ActionRequired, PaymentRefused, checkout_authorize, checkout_release
from therapists.models import Service, TherapistProfile

REVIEW_TEMPLATE = "payments/_review_panel.html"
VISIT_TEMPLATE = "payments/_visit_panel.html"


def stripe_js() -> dict[str, str]:
    """What a page needs to load Stripe.js: its address (localstripe's in development) and the
    publishable key."""
    return {"js_url": settings.STRIPE_JS_URL, "publishable_key": settings.STRIPE_PUBLISHABLE_KEY}


class StripeCheckout:
    def review_panel(
        self,
        *,
        request: HttpRequest,
        client: ClientProfile,
        therapist: TherapistProfile,
        service: Service,
        action_secret: str = "",
    ) -> Panel | None:
        if not settings.PAYMENTS_ENABLED:
            return Panel(REVIEW_TEMPLATE, {"enabled": False, "terms": [pay_at_visit_text()]})
        saved = saved_card_label(client=client)
        token = request.POST.get("checkout") or str(uuid.uuid4())
        choice = request.POST.get("card_choice") or ("saved" if saved else "new")
        return Panel(
            REVIEW_TEMPLATE,
            {
                "enabled": True,
                "terms": terms_text(terms_for(therapist), price_cents=to_cents(service.price)),
                "token": token,
                "saved_card": saved,
                "card_choice": choice if saved else "new",
                "setup_url": reverse("payments:checkout_setup"),
                "action_secret": action_secret,
                "payment_intent": request.POST.get("payment_intent", ""),
                **stripe_js(),
            },
        )

    def authorize(
        self,
        *,
        request: HttpRequest,
        client: ClientProfile,
        therapist: TherapistProfile,
        service: Service,
        starts_at: Any,
    ) -> None:
        if not settings.PAYMENTS_ENABLED:
            return
        try:
            checkout_authorize(
                client=client,
                token=request.POST.get("checkout", ""),
                therapist=therapist,
                service=service,
                starts_at=starts_at,
                use_saved_card=request.POST.get("card_choice") == "saved",
                setup_intent=request.POST.get("setup_intent", ""),
            )
        except PaymentRefused as exc:
            raise CheckoutRefused(str(exc)) from exc
        except ActionRequired as exc:
            panel = self.review_panel(
                request=request,
                client=client,
                therapist=therapist,
                service=service,
                action_secret=exc.client_secret,
            )
            assert panel is not None
            # The card is saved now: the second submit uses it.
            panel.context["card_choice"] = "saved"
            panel.context["saved_card"] = saved_card_label(client=client)
            raise CheckoutActionRequired(panel) from exc

    def release(self, *, request: HttpRequest, client: ClientProfile) -> None:
        if settings.PAYMENTS_ENABLED:
            checkout_release(client=client, token=request.POST.get("checkout", ""))

    def expectation(
        self,
        *,
        therapist: TherapistProfile,
        service: Service,
        booking: Booking | None = None,
    ) -> str:
        return payment_expectation(therapist=therapist, service=service, booking=booking)

    def visit_panel(self, *, booking: Booking) -> Panel | None:
        return Panel(
            VISIT_TEMPLATE,
            {
                "money": booking_money(booking=booking),
                "booking": booking,
                "receipt_url": reverse("payments:receipt", kwargs={"pk": booking.pk}),
                "tip_url": links.tip_url(booking_id=booking.pk),
            },
        )
