"""Payments in the admin: each booking's payments inline on the booking (added to the booking
admin from here, so booking's admin knows nothing of payments), refunds (full or partial)
through ``payments.services.payment_refund``, the therapists' payment terms, and the webhook
log. Amounts and states are read-only: money moves only through the services."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.http import request_user
from booking.models import Booking
from core.inputs import SafeModelAdmin
from payments.forms import RefundForm
from payments.models import Customer, Payment, PaymentPolicy, Refund, WebhookEvent
from payments.policy import money
from payments.services import PaymentRefused, payment_refund, refundable_cents


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ("action", "amount", "status", "message", "stripe_id", "updated_at", "refund_link")
    readonly_fields = fields

    @admin.display(description=_("amount"))
    def amount(self, obj: Payment) -> str:
        refunded = obj.refunded_cents
        text = money(obj.amount_cents, obj.currency)
        if refunded:
            text += f" (−{money(refunded, obj.currency)})"
        return text

    @admin.display(description=_("refund"))
    def refund_link(self, obj: Payment) -> str:
        if obj.pk is None or obj.status != Payment.Status.SUCCEEDED or not refundable_cents(obj):
            return ""
        url = reverse("admin:payments_payment_refund", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Refund…"))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _add_inline_to_booking_admin() -> None:
    try:
        booking_admin = admin.site.get_model_admin(Booking)
    except NotRegistered:
        return
    if PaymentInline not in booking_admin.inlines:
        # On the registered instance: the booking admin's own class stays as it is.
        booking_admin.inlines = [*booking_admin.inlines, PaymentInline]  # type: ignore[misc]


_add_inline_to_booking_admin()


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("amount_cents", "status", "reason", "actor", "message", "stripe_id", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("booking", "action", "amount_display", "status", "updated_at")
    list_filter = ("status", "action")
    search_fields = ("stripe_id", "booking__client__user__email")
    list_select_related = ("booking__service__modality", "booking__client__user")
    # Newest first by key: the same order as created_at, read from the primary key's index.
    ordering = ("-pk",)
    show_full_result_count = False
    inlines = [RefundInline]
    readonly_fields = (
        "booking",
        "action",
        "status",
        "amount_cents",
        "currency",
        "stripe_id",
        "payment_method",
        "idempotency_key",
        "message",
        "attempts",
        "attempted_at",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount_display(self, obj: Payment) -> str:
        return money(obj.amount_cents, obj.currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="payments_payment_refund",
            ),
            *super().get_urls(),
        ]

    def refund_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Refund all or part of a payment, through ``payment_refund``; a refusal is a form
        error."""
        payment = get_object_or_404(Payment.objects.select_related("booking"), pk=pk)
        if not self.has_change_permission(request, payment):
            return HttpResponseRedirect(reverse("admin:index"))
        available = refundable_cents(payment)
        initial = {"amount": Decimal(available) / 100, "key": uuid.uuid4().hex}
        form = RefundForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                refund = payment_refund(
                    payment=payment,
                    amount_cents=int(form.cleaned_data["amount"] * 100),
                    actor=request_user(request),
                    reason=form.cleaned_data["reason"],
                    key=form.cleaned_data["key"],
                )
            except PaymentRefused as exc:
                form.add_error("amount", str(exc))
            else:
                level = (
                    messages.SUCCESS
                    if refund.status == Refund.Status.SUCCEEDED
                    else messages.WARNING
                )
                self.message_user(
                    request,
                    _("Refund of %(amount)s: %(status)s. %(message)s")
                    % {
                        "amount": money(refund.amount_cents, payment.currency),
                        "status": refund.get_status_display(),
                        "message": refund.message,
                    },
                    level,
                )
                return HttpResponseRedirect(
                    reverse("admin:booking_booking_change", args=[payment.booking_id])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Refund a payment"),
            "payment": payment,
            "available": money(available, payment.currency),
            "form": form,
        }
        return TemplateResponse(request, "admin/payments/refund.html", context)


@admin.register(PaymentPolicy)
class PaymentPolicyAdmin(SafeModelAdmin):
    list_display = (
        "therapist",
        "mode",
        "deposit_percent",
        "late_cancel_percent",
        "no_show_percent",
    )
    autocomplete_fields = ("therapist",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("client", "stripe_id", "card_brand", "card_last4")
    search_fields = ("client__user__email", "stripe_id")
    readonly_fields = ("client", "stripe_id", "payment_method", "card_brand", "card_last4")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "type", "event_id", "processed_at", "outcome")
    list_filter = ("type",)
    ordering = ("-pk",)
    show_full_result_count = False
    search_fields = ("event_id",)
    readonly_fields = ("event_id", "type", "payload", "received_at", "processed_at", "outcome")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
