"""Money for home visits, in integer cents with the currency.

- :class:`PaymentPolicy`: a therapist's own terms (empty fields take the site defaults).
- :class:`Customer`: the client's Stripe customer and the card on file (brand and last four
  digits only: card numbers never reach this server).
- :class:`Checkout`: one visit being booked, before the booking exists: the card saved for it
  and the deposit held for it. The booking's transaction turns it into ``Payment`` rows.
- :class:`Payment`: one per booking and action (deposit, balance, tip, a fee), with the Stripe
  intent it made and its state. Unique per booking and action, with an idempotency key derived
  from both: the same action never charges twice, whoever retries it.
- :class:`Refund`: money given back on a payment, each with its own idempotency key.
- :class:`WebhookEvent`: every verified Stripe event, once, by its id.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from booking.models import Booking
from clients.models import ClientProfile
from therapists.models import Service, TherapistProfile


class PaymentPolicy(models.Model):
    """A therapist's payment terms; a blank field means the site default (settings)."""

    class Mode(models.TextChoices):
        CARD = "card", _("Card saved at booking, charged after the visit")
        DEPOSIT = "deposit", _("Deposit at booking, the balance after the visit")

    therapist = models.OneToOneField(
        TherapistProfile, on_delete=models.CASCADE, related_name="payment_policy"
    )
    mode = models.CharField(_("at booking"), max_length=16, choices=Mode.choices, blank=True)
    deposit_percent = models.PositiveSmallIntegerField(
        _("deposit (% of the price)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    late_cancel_percent = models.PositiveSmallIntegerField(
        _("late-cancel fee (% of the price)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    no_show_percent = models.PositiveSmallIntegerField(
        _("no-show fee (% of the price)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("payment policy")
        verbose_name_plural = _("payment policies")

    def __str__(self) -> str:
        return str(self.therapist)


class BookingTerms(models.Model):
    """The terms agreed when the visit was booked, kept even if the therapist's change later
    (as ``Booking.price`` is). A booking without terms was made with payments off: it is paid
    at the visit."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="terms")
    mode = models.CharField(max_length=16, choices=PaymentPolicy.Mode.choices)
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    deposit_percent = models.PositiveSmallIntegerField()
    late_cancel_percent = models.PositiveSmallIntegerField()
    no_show_percent = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booking terms")
        verbose_name_plural = _("booking terms")

    def __str__(self) -> str:
        return f"terms of booking {self.booking_id}"


class Customer(models.Model):
    """The client at Stripe, and the card saved for their visits."""

    client = models.OneToOneField(
        ClientProfile, on_delete=models.CASCADE, related_name="payment_customer"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    payment_method = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.stripe_id

    @property
    def card_label(self) -> str:
        if not self.payment_method:
            return ""
        return f"{self.card_brand.title() or 'Card'} •••• {self.card_last4}"


class Checkout(models.Model):
    """A visit being booked: the card saved and the deposit held for it, before the booking
    exists. ``token`` comes from the review form and keys the deposit's idempotency."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AUTHORIZED = "authorized", _("Ready to book")
        USED = "used", _("Booked")
        RELEASED = "released", _("Released")

    token = models.UUIDField(unique=True, default=uuid.uuid4)
    client = models.ForeignKey(ClientProfile, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(TherapistProfile, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    setup_intent = models.CharField(max_length=255, blank=True)
    payment_method = models.CharField(max_length=255, blank=True)
    deposit_cents = models.PositiveIntegerField(default=0)
    deposit_intent = models.CharField(max_length=255, blank=True)
    # Each new deposit intent for this checkout is one more attempt (its idempotency key).
    attempts = models.PositiveSmallIntegerField(default=0)
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="checkout"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.token)


class Payment(models.Model):
    """Money asked of the client for one booking and one reason."""

    class Action(models.TextChoices):
        CARD = "card", _("Card saved")
        DEPOSIT = "deposit", _("Deposit")
        BALANCE = "balance", _("Balance")
        TIP = "tip", _("Tip")
        LATE_CANCEL_FEE = "late_cancel_fee", _("Late-cancel fee")
        NO_SHOW_FEE = "no_show_fee", _("No-show fee")

    class Status(models.TextChoices):
        PENDING = "pending", _("To collect")
        # Sent to Stripe and no answer yet (a timeout): reconcile asks Stripe what happened.
        PROCESSING = "processing", _("Processing")
        REQUIRES_ACTION = "requires_action", _("Waiting for the client to confirm")
        AUTHORIZED = "authorized", _("Held on the card")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Released")

    # Nothing more will happen to a payment in these (refunds aside).
    FINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELED)

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments")
    action = models.CharField(_("for"), max_length=24, choices=Action.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.PENDING
    )
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(max_length=3, default="usd")
    stripe_id = models.CharField(_("Stripe intent"), max_length=255, blank=True, db_index=True)
    payment_method = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    # The last thing that went wrong, in words the client or therapist can read.
    message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    attempted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["booking", "action"], name="payment_once_per_action")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.amount_cents / 100:.2f} {self.currency}"

    @property
    def refunded_cents(self) -> int:
        return sum(
            r.amount_cents for r in self.refunds.all() if r.status == Refund.Status.SUCCEEDED
        )


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("To refund")
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stripe_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.CharField(max_length=300, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="refund_positive")
        ]

    def __str__(self) -> str:
        return f"refund {self.amount_cents / 100:.2f}"


class WebhookEvent(models.Model):
    """A Stripe event whose signature checked out, stored once by its id."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
