"""Writes for payments. Money is never lost or doubled:

- Every charge is a :class:`Payment` row, unique per booking and action, written first (for a
  booking, inside the booking's own transaction, from ``booking_changed``); Stripe is called
  after commit, by a task or by the request that needs the answer.
- A row is *claimed* before Stripe is called (a conditional UPDATE from ``pending`` to
  ``processing``): of two workers, two clicks or a retry, only one calls Stripe.
- A charge is two calls: create the PaymentIntent (nothing is taken yet) and store its id, then
  confirm it. A confirm whose answer was lost (a timeout) leaves the row ``processing`` with the
  intent's id: retrying the action asks Stripe what became of *that* intent instead of making
  another, and so does the periodic reconcile. Every call also carries an idempotency key
  derived from the booking and the action (Stripe replays the first answer; localstripe ignores
  the keys, so the rows are the guard that the tests prove).
- Webhooks are stored once by event id, and applying an intent's state is idempotent: a
  replayed event, or one that arrives after reconcile already knew, changes nothing.

Failures are of two kinds (``payments.gateway``): ``Declined`` (final for this attempt, the
message is shown) and ``Unreachable`` (outcome unknown: the row stays where reconcile finds it,
and the person is told so).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from booking.models import Booking, BookingEvent
from booking.policy import before_cutoff
from clients.models import ClientProfile
from core import outbox
from core.nudge import nudge
from core.refusals import Refusal
from payments import gateway
from payments.gateway import Declined, Unreachable, field, object_id
from payments.models import (
    BookingTerms,
    Checkout,
    Customer,
    Payment,
    Refund,
    WebhookEvent,
)
from payments.policy import DEPOSIT, Terms, percent_of, settle_fee, terms_for, to_cents
from therapists.models import Service, TherapistProfile

logger = logging.getLogger(__name__)

RECEIPT_KIND = "payments.receipt"
# A payment or refund "processing" for longer than this lost its answer: reconcile asks Stripe.
STALE_AFTER = dt.timedelta(minutes=1)
# A deposit held for a booking that was never made is let go after this.
CHECKOUT_HOLD = dt.timedelta(minutes=15)
CHARGES = (
    Payment.Action.BALANCE,
    Payment.Action.TIP,
    Payment.Action.LATE_CANCEL_FEE,
    Payment.Action.NO_SHOW_FEE,
)


class PaymentRefused(Refusal):
    code = "payment_refused"
    default_message = gettext_lazy("That payment is not possible.")


# The code of a refusal that is Stripe's outage, not the request's fault (a 503, not a 4xx).
UNREACHABLE = "unreachable"


def _key(*parts: object) -> str:
    return "-".join([settings.PAYMENTS_IDEMPOTENCY_PREFIX, *(str(p) for p in parts)])


def _stripe() -> Any:
    return gateway.client().v1


# --- Customers and the card on file --------------------------------------------------------------


def customer_for(*, client: ClientProfile) -> Customer:
    """The client's Stripe customer, made on first use. Raises ``Unreachable``."""
    existing = Customer.objects.filter(client=client).first()
    if existing is not None:
        return existing
    user = client.user
    made = gateway.call(
        "customer create",
        _stripe().customers.create,
        params={
            "email": user.email,
            "name": user.get_full_name() or user.email,
            "metadata": {"client": str(client.pk)},
        },
        options={"idempotency_key": _key("client", client.pk, "customer")},
    )
    customer, _created = Customer.objects.get_or_create(
        client=client, defaults={"stripe_id": made.id}
    )
    return customer


def _save_card(customer: Customer, payment_method_id: str) -> Customer:
    method = gateway.call("payment method", _stripe().payment_methods.retrieve, payment_method_id)
    card = field(method, "card") or {}
    customer.payment_method = payment_method_id
    customer.card_brand = str(field(card, "brand", "") or "")[:32]
    customer.card_last4 = str(field(card, "last4", "") or "")[:4]
    customer.save(update_fields=["payment_method", "card_brand", "card_last4", "updated_at"])
    return customer


# --- Checkout: before the booking exists ---------------------------------------------------------


def _checkout_for(
    *,
    client: ClientProfile,
    token: str,
    therapist: TherapistProfile,
    service: Service,
) -> Checkout:
    try:
        parsed = uuid.UUID(str(token))
    except ValueError as exc:
        raise PaymentRefused(
            _("This page is out of date. Please reload it and try again.")
        ) from exc
    checkout, _created = Checkout.objects.get_or_create(
        token=parsed, defaults={"client": client, "therapist": therapist, "service": service}
    )
    if checkout.client_id != client.pk:
        raise PaymentRefused(_("This page is out of date. Please reload it and try again."))
    return checkout


def checkout_setup(
    *, client: ClientProfile, token: str, therapist: TherapistProfile, service: Service
) -> str:
    """A SetupIntent for the card the client is about to enter (Stripe.js confirms it in the
    browser, 3-D Secure included); returns its client secret. Raises ``PaymentRefused``."""
    checkout = _checkout_for(client=client, token=token, therapist=therapist, service=service)
    try:
        customer = customer_for(client=client)
        intent = gateway.call(
            "setup intent",
            _stripe().setup_intents.create,
            params={
                "customer": customer.stripe_id,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": {"checkout": str(checkout.token)},
            },
        )
    except Unreachable as exc:
        raise PaymentRefused(_unreachable_at_booking(), code=UNREACHABLE) from exc
    except Declined as exc:
        raise PaymentRefused(exc.message) from exc
    Checkout.objects.filter(pk=checkout.pk).update(
        setup_intent=intent.id, updated_at=timezone.now()
    )
    return str(intent.client_secret)


def _unreachable_at_booking() -> str:
    return _(
        "We could not reach our card processor, so your visit is not booked yet. Nothing was "
        "charged. Please try again in a minute."
    )


class ActionRequired(Exception):
    """The deposit needs the client to authenticate (3-D Secure) in the browser."""

    def __init__(self, client_secret: str) -> None:
        super().__init__("requires_action")
        self.client_secret = client_secret


def checkout_authorize(
    *,
    client: ClientProfile,
    token: str,
    therapist: TherapistProfile,
    service: Service,
    starts_at: dt.datetime,
    use_saved_card: bool,
    setup_intent: str = "",
) -> Checkout:
    """Before ``booking_create``: the card is saved (the SetupIntent the browser confirmed, or
    the card on file), and under the deposit policy the deposit is held on it (an uncaptured
    PaymentIntent, taken once the booking is made). Raises ``PaymentRefused`` (a declined card,
    Stripe unreachable: no booking is made) or ``ActionRequired`` (3-D Secure for the
    deposit)."""
    checkout = _checkout_for(client=client, token=token, therapist=therapist, service=service)
    if checkout.status == Checkout.Status.USED:
        # A double click: the first request booked with it, and booking_create says so.
        return checkout
    terms = terms_for(therapist)
    try:
        customer = customer_for(client=client)
        if use_saved_card:
            if not customer.payment_method:
                raise PaymentRefused(_("Please enter your card details."))
        else:
            customer = _confirmed_card(customer, setup_intent=setup_intent)
        deposit = terms.deposit_cents(to_cents(service.price))
        Checkout.objects.filter(pk=checkout.pk).update(
            therapist=therapist,
            service=service,
            starts_at=starts_at,
            payment_method=customer.payment_method,
            deposit_cents=deposit,
            updated_at=timezone.now(),
        )
        checkout.refresh_from_db()
        if deposit:
            _hold_deposit(checkout, customer=customer, terms=terms)
    except Unreachable as exc:
        raise PaymentRefused(_unreachable_at_booking()) from exc
    except Declined as exc:
        raise PaymentRefused(_declined_at_booking(exc.message)) from exc
    Checkout.objects.filter(pk=checkout.pk).update(
        status=Checkout.Status.AUTHORIZED, updated_at=timezone.now()
    )
    checkout.refresh_from_db()
    return checkout


def _declined_at_booking(message: str) -> str:
    return _("%(message)s Your visit is not booked. Please use another card.") % {
        "message": message.rstrip(".") + "."
    }


def _confirmed_card(customer: Customer, *, setup_intent: str) -> Customer:
    if not setup_intent:
        raise PaymentRefused(_("Please enter your card details."))
    intent = gateway.call("setup intent", _stripe().setup_intents.retrieve, setup_intent)
    if field(intent, "customer") != customer.stripe_id:
        raise PaymentRefused(_("This page is out of date. Please reload it and try again."))
    if field(intent, "status") != "succeeded":
        raise PaymentRefused(_("Your card could not be saved. Please check it and try again."))
    return _save_card(customer, object_id(field(intent, "payment_method")))


def _hold_deposit(checkout: Checkout, *, customer: Customer, terms: Terms) -> None:
    intent = None
    if checkout.deposit_intent:
        intent = gateway.call(
            "deposit", _stripe().payment_intents.retrieve, checkout.deposit_intent
        )
        status = field(intent, "status")
        same = (
            field(intent, "amount") == checkout.deposit_cents
            and object_id(field(intent, "payment_method")) == customer.payment_method
        )
        if status == "requires_capture" and same:
            return
        if status == "requires_action" and same:
            raise ActionRequired(str(field(intent, "client_secret")))
        if status == "processing":
            raise PaymentRefused(_("Your card is still being checked. Please try again shortly."))
        if status in ("requires_capture", "requires_action", "requires_confirmation"):
            _cancel_quietly(checkout.deposit_intent)
        intent = None
    Checkout.objects.filter(pk=checkout.pk).update(attempts=checkout.attempts + 1)
    checkout.attempts += 1
    created = gateway.call(
        "deposit create",
        _stripe().payment_intents.create,
        params={
            "amount": checkout.deposit_cents,
            "currency": terms.currency,
            "customer": customer.stripe_id,
            "payment_method": customer.payment_method,
            "payment_method_types": ["card"],
            "capture_method": "manual",
            "metadata": {"checkout": str(checkout.token), "action": "deposit"},
        },
        options={"idempotency_key": _key("checkout", checkout.token, "deposit", checkout.attempts)},
    )
    Checkout.objects.filter(pk=checkout.pk).update(deposit_intent=created.id)
    checkout.deposit_intent = created.id
    # The client is here: an on-session confirm, which may ask for 3-D Secure.
    intent = gateway.call(
        "deposit confirm",
        _stripe().payment_intents.confirm,
        created.id,
        options={
            "idempotency_key": _key(
                "checkout", checkout.token, "deposit-confirm", checkout.attempts
            )
        },
    )
    status = field(intent, "status")
    if status == "requires_capture":
        return
    if status == "requires_action":
        raise ActionRequired(str(field(intent, "client_secret")))
    raise Declined(_intent_error(intent) or _("Your card was declined."))


def _cancel_quietly(intent_id: str) -> None:
    try:
        gateway.call("cancel", _stripe().payment_intents.cancel, intent_id)
    except (Declined, Unreachable):
        logger.info("could not cancel %s now; reconcile lets it go", intent_id)


def checkout_release(*, client: ClientProfile, token: str) -> None:
    """``booking_create`` refused after the deposit was held: let it go now (or reconcile does
    within ``CHECKOUT_HOLD``). The card stays saved."""
    try:
        parsed = uuid.UUID(str(token))
    except ValueError:
        return
    checkout = Checkout.objects.filter(
        token=parsed, client=client, status=Checkout.Status.AUTHORIZED, booking__isnull=True
    ).first()
    if checkout is None:
        return
    _release_checkout(checkout)


def _release_checkout(checkout: Checkout) -> None:
    if checkout.deposit_intent:
        try:
            gateway.call("cancel", _stripe().payment_intents.cancel, checkout.deposit_intent)
        except Declined:
            pass  # not cancellable: already cancelled, or never held
        except Unreachable:
            return  # reconcile tries again
    Checkout.objects.filter(pk=checkout.pk, booking__isnull=True).update(
        status=Checkout.Status.RELEASED, deposit_intent="", updated_at=timezone.now()
    )


# --- What a change to a booking means (inside the booking's transaction) -------------------------


def _after_commit(fn: Callable[[], None]) -> None:
    transaction.on_commit(fn)


def _nudge(task_name: str, pk: int) -> None:
    """Ask a worker to act on row ``pk`` after commit. Best effort, like the outbox's nudge: a
    broker outage costs latency (reconcile picks the row up), never the request."""

    def send() -> None:
        from payments import tasks  # the tasks module imports this one

        nudge(
            getattr(tasks, task_name),
            args=(pk,),
            what=f"{task_name} {pk}",
            otherwise="reconcile will",
        )

    _after_commit(send)


def _new_payment(
    booking: Booking,
    action: str,
    *,
    amount_cents: int,
    currency: str,
    payment_method: str,
    status: str = Payment.Status.PENDING,
    stripe_id: str = "",
) -> Payment | None:
    """The row for ``action`` on ``booking``, once: None if it exists already."""
    try:
        with transaction.atomic():
            return Payment.objects.create(
                booking=booking,
                action=action,
                status=status,
                amount_cents=amount_cents,
                currency=currency,
                payment_method=payment_method,
                stripe_id=stripe_id,
                idempotency_key=_key("booking", booking.pk, action),
            )
    except IntegrityError:
        return None


def payments_open(*, booking: Booking) -> BookingTerms | None:
    """A new booking: the terms agreed, the card saved for it, and the deposit held at checkout
    (taken after commit)."""
    if not settings.PAYMENTS_ENABLED:
        return None
    checkout = (
        Checkout.objects.select_for_update()
        .filter(
            client=booking.client,
            service=booking.service,
            starts_at=booking.starts_at,
            status=Checkout.Status.AUTHORIZED,
            booking__isnull=True,
        )
        .order_by("-updated_at")
        .first()
    )
    customer = Customer.objects.filter(client=booking.client).first()
    method = checkout.payment_method if checkout else (customer.payment_method if customer else "")
    if not method:
        # Booked without a card (staff booking for a client who never saved one, the demo
        # data): paid at the visit, as with payments off.
        return None
    terms = terms_for(booking.therapist)
    agreed = BookingTerms.objects.create(
        booking=booking,
        mode=terms.mode,
        price_cents=to_cents(booking.price),
        currency=terms.currency,
        deposit_percent=terms.deposit_percent if terms.mode == DEPOSIT else 0,
        late_cancel_percent=terms.late_cancel_percent,
        no_show_percent=terms.no_show_percent,
    )
    _new_payment(
        booking,
        Payment.Action.CARD,
        amount_cents=0,
        currency=agreed.currency,
        payment_method=method,
        status=Payment.Status.SUCCEEDED,
        stripe_id=checkout.setup_intent if checkout else "",
    )
    if checkout is not None:
        Checkout.objects.filter(pk=checkout.pk).update(
            status=Checkout.Status.USED, booking=booking, updated_at=timezone.now()
        )
        if checkout.deposit_cents and checkout.deposit_intent:
            deposit = _new_payment(
                booking,
                Payment.Action.DEPOSIT,
                amount_cents=checkout.deposit_cents,
                currency=agreed.currency,
                payment_method=method,
                status=Payment.Status.AUTHORIZED,
                stripe_id=checkout.deposit_intent,
            )
            if deposit is not None:
                _nudge("collect_payment", deposit.pk)
    return agreed


def _deposit(booking: Booking) -> Payment | None:
    return Payment.objects.filter(booking=booking, action=Payment.Action.DEPOSIT).first()


def _deposit_kept_cents(deposit: Payment | None) -> int:
    """What the deposit will have taken: held or taken, less what was given back."""
    if deposit is None or deposit.status in (Payment.Status.FAILED, Payment.Status.CANCELED):
        return 0
    returned = deposit.refunds.exclude(status=Refund.Status.FAILED).aggregate(
        s=Sum("amount_cents")
    )["s"]
    return deposit.amount_cents - (returned or 0)


def _card(booking: Booking) -> str:
    card = Payment.objects.filter(booking=booking, action=Payment.Action.CARD).first()
    return card.payment_method if card else ""


def _refund_deposit(booking: Booking, *, cents: int, reason: str) -> None:
    deposit = _deposit(booking)
    if deposit is None or cents <= 0:
        return
    refund = _new_refund(
        deposit,
        amount_cents=min(cents, _deposit_kept_cents(deposit)),
        key=_key("booking", booking.pk, "deposit-refund", reason),
        reason=reason,
        actor=None,
    )
    if refund is not None:
        _nudge("execute_refund", refund.pk)


def _charge(booking: Booking, terms: BookingTerms, action: str, cents: int) -> None:
    if cents <= 0:
        return
    payment = _new_payment(
        booking, action, amount_cents=cents, currency=terms.currency, payment_method=_card(booking)
    )
    if payment is not None:
        _nudge("collect_payment", payment.pk)


def payments_on_booking_changed(
    *, booking: Booking, event: BookingEvent, action: str, by_client: bool
) -> None:
    """What a change means for the money, decided here once (``payments.policy`` has the
    rules): the balance after a completed visit, a fee for a no-show or a late cancel by the
    client, the deposit back for anything else that ends a visit. Rows only; Stripe after
    commit."""
    if action == "created":
        payments_open(booking=booking)
        return
    terms = BookingTerms.objects.filter(booking=booking).first()
    if terms is None:
        return  # booked with payments off: paid at the visit
    price = terms.price_cents
    if action == "completed":
        balance = price - _deposit_kept_cents(_deposit(booking))
        if balance > 0:
            _charge(booking, terms, Payment.Action.BALANCE, balance)
        else:
            _enqueue_receipt(booking, reason="completed")
    elif action == "no_show":
        _settle_fee(booking, terms, Payment.Action.NO_SHOW_FEE, terms.no_show_percent)
    elif action == "cancelled":
        late = by_client and not before_cutoff(booking, now=event.at)
        if late:
            _settle_fee(booking, terms, Payment.Action.LATE_CANCEL_FEE, terms.late_cancel_percent)
        else:
            _refund_deposit(
                booking, cents=_deposit_kept_cents(_deposit(booking)), reason="cancelled"
            )
    elif action in ("declined", "expired"):
        _refund_deposit(booking, cents=_deposit_kept_cents(_deposit(booking)), reason=action)


def _settle_fee(booking: Booking, terms: BookingTerms, action: str, percent: int) -> None:
    deposit = _deposit_kept_cents(_deposit(booking))
    settlement = settle_fee(fee_cents=percent_of(terms.price_cents, percent), deposit_cents=deposit)
    _charge(booking, terms, action, settlement.charge_cents)
    if settlement.refund_cents:
        _refund_deposit(booking, cents=settlement.refund_cents, reason=action)
    if settlement.charge_cents == 0:
        _enqueue_receipt(booking, reason=action)


# --- Collecting: one payment, safely, any number of times ----------------------------------------

INTENT_STATUS = {
    "succeeded": Payment.Status.SUCCEEDED,
    "requires_capture": Payment.Status.AUTHORIZED,
    "requires_action": Payment.Status.REQUIRES_ACTION,
    "processing": Payment.Status.PROCESSING,
    "canceled": Payment.Status.CANCELED,
    # Created but never confirmed: nothing was taken; collect confirms it.
    "requires_confirmation": Payment.Status.PENDING,
}


def _intent_error(intent: Any) -> str:
    error = field(intent, "last_payment_error")
    return str(field(error, "message", "") or "") if error else ""


def _status_of(intent: Any) -> tuple[str, str]:
    status = field(intent, "status")
    if status == "requires_payment_method":
        return Payment.Status.FAILED, _intent_error(intent) or _("The card was declined.")
    if status == "requires_action":
        return Payment.Status.REQUIRES_ACTION, _(
            "Your bank asks you to confirm this payment. Open your receipt to confirm it."
        )
    return INTENT_STATUS.get(str(status), Payment.Status.PROCESSING), ""


def _move(payment: Payment, to: str, *, message: str = "", **fields: Any) -> bool:
    """Conditional update from the status we last read: False if someone moved it first."""
    changed = Payment.objects.filter(pk=payment.pk, status=payment.status).update(
        status=to, message=message[:300], updated_at=timezone.now(), **fields
    )
    payment.refresh_from_db()
    return bool(changed)


def payment_apply_intent(*, payment: Payment, intent: Any) -> Payment:
    """Bring ``payment`` to what Stripe says of its intent (a webhook, reconcile, a retry).
    Idempotent; a paid or released payment stays so."""
    if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.CANCELED):
        return payment
    status, message = _status_of(intent)
    if status == payment.status and message == payment.message:
        return payment
    if _move(payment, status, message=message, stripe_id=payment.stripe_id or object_id(intent)):
        _after_status(payment)
    return payment


def _after_status(payment: Payment) -> None:
    if payment.action in CHARGES and payment.status in (
        Payment.Status.SUCCEEDED,
        Payment.Status.FAILED,
        Payment.Status.REQUIRES_ACTION,
    ):
        _enqueue_receipt(payment.booking, reason=f"{payment.action}-{payment.status}")
    if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.CANCELED, Payment.Status.FAILED):
        # Refunds that waited for this payment to settle.
        for refund in payment.refunds.filter(status=Refund.Status.PENDING):
            _nudge("execute_refund", refund.pk)


def payment_sync(*, payment: Payment, now: dt.datetime | None = None) -> Payment:
    """Ask Stripe what became of the payment's intent (the answer was lost, or the client
    confirmed it in the browser). A row that never reached Stripe goes back to be collected."""
    if not payment.stripe_id:
        # Claimed, but no intent was recorded: the create never reached Stripe, or its answer
        # was lost (an unconfirmed intent takes nothing). Once the worker that claimed it must
        # have given up, it goes back to be collected.
        attempted = payment.attempted_at or payment.updated_at
        now = now or timezone.now()
        if payment.status == Payment.Status.PROCESSING and attempted < now - STALE_AFTER:
            _move(payment, Payment.Status.PENDING, message=payment.message)
        return payment
    try:
        intent = gateway.call("retrieve", _stripe().payment_intents.retrieve, payment.stripe_id)
    except (Unreachable, Declined):
        return payment
    return payment_apply_intent(payment=payment, intent=intent)


def payment_client_secret(*, payment: Payment) -> str:
    """The secret Stripe.js needs to let the client confirm this payment (3-D Secure), asked
    when the page is shown; empty if Stripe does not answer."""
    if not payment.stripe_id:
        return ""
    try:
        intent = gateway.call("retrieve", _stripe().payment_intents.retrieve, payment.stripe_id)
    except (Unreachable, Declined):
        return ""
    return str(field(intent, "client_secret", "") or "")


def payment_collect(*, payment_id: int) -> Payment:
    """Take the money of one payment row: safe to call any number of times, from a task, a
    retry, reconcile or a request. Only the caller that claims a pending row calls Stripe; a row
    in flight is synced, not charged again."""
    payment = Payment.objects.select_related("booking").get(pk=payment_id)
    if payment.status in (Payment.Status.PROCESSING, Payment.Status.REQUIRES_ACTION):
        return payment_sync(payment=payment)
    if payment.status == Payment.Status.AUTHORIZED:
        return _capture(payment)
    if payment.status != Payment.Status.PENDING:
        return payment
    if not _move(
        payment,
        Payment.Status.PROCESSING,
        message=payment.message,
        attempts=payment.attempts + 1,
        attempted_at=timezone.now(),
    ):
        return payment  # another worker or request has it
    if not payment.payment_method:
        _move(payment, Payment.Status.FAILED, message=_("No card is saved for this visit."))
        _after_status(payment)
        return payment
    customer = Customer.objects.filter(client=payment.booking.client).first()
    try:
        if payment.stripe_id:
            # An intent made by an earlier attempt: confirm it only if it is still waiting.
            intent = gateway.call("retrieve", _stripe().payment_intents.retrieve, payment.stripe_id)
            if field(intent, "status") != "requires_confirmation":
                return payment_apply_intent(payment=payment, intent=intent)
        else:
            created = gateway.call(
                "charge create",
                _stripe().payment_intents.create,
                params={
                    "amount": payment.amount_cents,
                    "currency": payment.currency,
                    **({"customer": customer.stripe_id} if customer else {}),
                    "payment_method": payment.payment_method,
                    "payment_method_types": ["card"],
                    "metadata": {"booking": str(payment.booking_id), "action": payment.action},
                },
                # Per attempt: a retry after a refused card makes a new intent, while a create
                # whose answer was lost is replayed by Stripe within the same attempt.
                options={"idempotency_key": f"{payment.idempotency_key}-create-{payment.attempts}"},
            )
            Payment.objects.filter(pk=payment.pk).update(stripe_id=created.id)
            payment.stripe_id = created.id
        intent = gateway.call(
            "charge confirm",
            _stripe().payment_intents.confirm,
            payment.stripe_id,
            params={"off_session": True},
            options={"idempotency_key": f"{payment.idempotency_key}-confirm-{payment.stripe_id}"},
        )
    except Declined as exc:
        _move(payment, Payment.Status.FAILED, message=exc.message)
        _after_status(payment)
        return payment
    except Unreachable:
        _move(
            payment,
            Payment.Status.PROCESSING,
            message=_("We could not reach our card processor; we will check again shortly."),
        )
        return payment
    return payment_apply_intent(payment=payment, intent=intent)


def _capture(payment: Payment) -> Payment:
    """Take a held deposit, unless it is all to be given back (then ``execute_refund`` lets it
    go instead)."""
    pending = payment.refunds.filter(status=Refund.Status.PENDING).aggregate(s=Sum("amount_cents"))
    if (pending["s"] or 0) >= payment.amount_cents:
        return payment
    if not _move(
        payment,
        Payment.Status.PROCESSING,
        message=payment.message,
        attempts=payment.attempts + 1,
        attempted_at=timezone.now(),
    ):
        return payment
    try:
        intent = gateway.call(
            "capture",
            _stripe().payment_intents.capture,
            payment.stripe_id,
            options={"idempotency_key": f"{payment.idempotency_key}-capture"},
        )
    except Declined:
        return payment_sync(payment=payment)
    except Unreachable:
        return payment
    return payment_apply_intent(payment=payment, intent=intent)


# --- Refunds --------------------------------------------------------------------------------------


def _new_refund(
    payment: Payment, *, amount_cents: int, key: str, reason: str, actor: User | None
) -> Refund | None:
    if amount_cents <= 0:
        return None
    try:
        with transaction.atomic():
            return Refund.objects.create(
                payment=payment,
                amount_cents=amount_cents,
                idempotency_key=key,
                reason=reason[:300],
                actor=actor,
            )
    except IntegrityError:
        return None


def refundable_cents(payment: Payment) -> int:
    given = payment.refunds.exclude(status=Refund.Status.FAILED).aggregate(s=Sum("amount_cents"))
    return payment.amount_cents - (given["s"] or 0)


def payment_refund(
    *,
    payment: Payment,
    amount_cents: int,
    actor: User,
    reason: str = "",
    key: str | None = None,
) -> Refund:
    """Give back ``amount_cents`` (all or part) of a payment that was taken: staff in admin.
    ``key`` is the form's own idempotency key (a double submit refunds once). Raises
    ``PaymentRefused``."""
    if not (actor.is_active and actor.is_staff):
        raise PaymentRefused(_("Only staff can refund."))
    if key:
        existing = Refund.objects.filter(idempotency_key=_key("refund", key)).first()
        if existing is not None:
            return existing
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Payment.Status.SUCCEEDED:
            raise PaymentRefused(_("Only a payment that was taken can be refunded."))
        available = refundable_cents(locked)
        if amount_cents <= 0 or amount_cents > available:
            raise PaymentRefused(
                _("Refund an amount from 0.01 to %(max)s.") % {"max": f"{available / 100:.2f}"}
            )
        refund = _new_refund(
            locked,
            amount_cents=amount_cents,
            key=_key("refund", key or uuid.uuid4()),
            reason=reason,
            actor=actor,
        )
    assert refund is not None
    return refund_execute(refund_id=refund.pk)


def _move_refund(refund: Refund, to: str, *, message: str = "", **fields: Any) -> bool:
    changed = Refund.objects.filter(pk=refund.pk, status=refund.status).update(
        status=to, message=message[:300], updated_at=timezone.now(), **fields
    )
    refund.refresh_from_db()
    return bool(changed)


def refund_execute(*, refund_id: int) -> Refund:
    """Give the money back, once: a held deposit given back whole is simply let go."""
    refund = Refund.objects.select_related("payment__booking").get(pk=refund_id)
    if refund.status == Refund.Status.PROCESSING:
        return refund_sync(refund=refund)
    if refund.status != Refund.Status.PENDING:
        return refund
    payment = refund.payment
    if payment.status == Payment.Status.CANCELED:
        _move_refund(refund, Refund.Status.SUCCEEDED, message=_("Released: nothing was taken."))
        return refund
    if payment.status == Payment.Status.FAILED:
        _move_refund(refund, Refund.Status.FAILED, message=_("Nothing was taken to refund."))
        return refund
    if payment.status == Payment.Status.AUTHORIZED:
        if refund.amount_cents >= payment.amount_cents:
            return _release_hold(refund, payment)
        payment = _capture(payment)
    if payment.status != Payment.Status.SUCCEEDED:
        return refund  # waits for the payment to settle (reconcile comes back)
    if not _move_refund(refund, Refund.Status.PROCESSING, attempted_at=timezone.now()):
        return refund
    try:
        made = gateway.call(
            "refund",
            _stripe().refunds.create,
            params={
                "payment_intent": payment.stripe_id,
                "amount": refund.amount_cents,
                "metadata": {"refund": str(refund.pk), "booking": str(payment.booking_id)},
            },
            options={"idempotency_key": refund.idempotency_key},
        )
    except Declined as exc:
        _move_refund(refund, Refund.Status.FAILED, message=exc.message)
        return refund
    except Unreachable:
        _move_refund(
            refund,
            Refund.Status.PROCESSING,
            message=_("We could not reach our card processor; we will check again shortly."),
        )
        return refund
    _apply_refund(refund, made)
    _enqueue_receipt(payment.booking, reason=f"refund-{refund.pk}")
    return refund


def _apply_refund(refund: Refund, made: Any) -> None:
    status = field(made, "status")
    if status == "succeeded":
        _move_refund(refund, Refund.Status.SUCCEEDED, stripe_id=object_id(made))
    elif status in ("failed", "canceled"):
        _move_refund(refund, Refund.Status.FAILED, stripe_id=object_id(made))
    elif not refund.stripe_id:
        Refund.objects.filter(pk=refund.pk).update(stripe_id=object_id(made))


def _release_hold(refund: Refund, payment: Payment) -> Refund:
    if not _move(payment, Payment.Status.PROCESSING, message=payment.message):
        return refund
    try:
        intent = gateway.call(
            "cancel",
            _stripe().payment_intents.cancel,
            payment.stripe_id,
            options={"idempotency_key": f"{payment.idempotency_key}-cancel"},
        )
    except Declined:
        payment_sync(payment=payment)
        return refund
    except Unreachable:
        return refund
    payment_apply_intent(payment=payment, intent=intent)
    if payment.status == Payment.Status.CANCELED:
        _move_refund(refund, Refund.Status.SUCCEEDED, message=_("Released: nothing was taken."))
    return refund


def refund_sync(*, refund: Refund) -> Refund:
    """A refund whose answer was lost: find it at Stripe by its row id before trying again,
    so that a retry never refunds twice."""
    payment = refund.payment
    try:
        found = gateway.call(
            "refunds", _stripe().refunds.list, params={"payment_intent": payment.stripe_id}
        )
    except (Unreachable, Declined):
        return refund
    for made in field(found, "data", []) or []:
        metadata = field(made, "metadata") or {}
        if str(field(metadata, "refund", "")) == str(refund.pk):
            _apply_refund(refund, made)
            return refund
    if refund.attempted_at and refund.attempted_at < timezone.now() - STALE_AFTER:
        _move_refund(refund, Refund.Status.PENDING, message=refund.message)
    return refund


# --- Tips -----------------------------------------------------------------------------------------

TIP_PERCENTS = (0, 15, 20, 25)


def tip_create(*, booking: Booking, amount_cents: int) -> Payment | None:
    """The client tips after the visit (0 means no tip), charged to the card at once. A second
    tip for the same visit is refused. Raises ``PaymentRefused``."""
    if booking.status != Booking.Status.COMPLETED:
        raise PaymentRefused(_("You can add a tip once the visit is completed."))
    terms = BookingTerms.objects.filter(booking=booking).first()
    if terms is None or not _card(booking):
        raise PaymentRefused(
            _("No card is saved for this visit: please tip your therapist directly.")
        )
    if amount_cents < 0 or amount_cents > terms.price_cents * 2:
        raise PaymentRefused(
            _("Choose a tip from 0 to %(max)s.") % {"max": f"{terms.price_cents * 2 / 100:.2f}"}
        )
    existing = Payment.objects.filter(booking=booking, action=Payment.Action.TIP).first()
    if existing is not None and existing.status != Payment.Status.FAILED:
        raise PaymentRefused(_("You have already added a tip for this visit. Thank you!"))
    if amount_cents == 0:
        return None
    if existing is not None:
        # A tip the card refused: try again with the new amount (the same row and key).
        Payment.objects.filter(pk=existing.pk, status=Payment.Status.FAILED).update(
            status=Payment.Status.PENDING, amount_cents=amount_cents, stripe_id="", message=""
        )
        payment: Payment | None = existing
    else:
        payment = _new_payment(
            booking,
            Payment.Action.TIP,
            amount_cents=amount_cents,
            currency=terms.currency,
            payment_method=_card(booking),
        )
    if payment is None:
        raise PaymentRefused(_("You have already added a tip for this visit. Thank you!"))
    return payment_collect(payment_id=payment.pk)


# --- Webhooks -------------------------------------------------------------------------------------


# Stripe's own default: an event signed longer ago than this is refused (a replayed capture).
WEBHOOK_TOLERANCE_SECONDS = 300


class WebhookRefused(Exception):
    pass


def webhook_receive(*, payload: bytes, signature: str) -> WebhookEvent:
    """A Stripe event: verified by its signature (else ``WebhookRefused``), stored once by its
    id, applied once. A replay returns the stored event and changes nothing."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, WEBHOOK_TOLERANCE_SECONDS
        )
        event = _json(payload)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
        raise WebhookRefused(str(exc)) from exc
    event_id = str(event.get("id") or "")
    if not event_id:
        raise WebhookRefused("no event id")
    # Stored, applied and marked in one transaction: a crash between applying and marking
    # rolls back both, and no one ever sees a payment changed by an event not yet marked.
    with transaction.atomic():
        WebhookEvent.objects.get_or_create(
            event_id=event_id, defaults={"type": str(event.get("type", "")), "payload": event}
        )
        stored = WebhookEvent.objects.select_for_update().get(event_id=event_id)
        if stored.processed_at is None:
            stored.outcome = _apply_event(event)[:200]
            stored.processed_at = timezone.now()
            stored.save(update_fields=["outcome", "processed_at"])
    return stored


def _json(payload: bytes) -> dict[str, Any]:
    value = json.loads(payload.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _apply_event(event: dict[str, Any]) -> str:
    kind = str(event.get("type", ""))
    obj = (event.get("data") or {}).get("object") or {}
    if kind.startswith("payment_intent."):
        payment = Payment.objects.filter(stripe_id=obj.get("id", "")).first()
        if payment is None:
            return "no payment for this intent"
        before = payment.status
        payment_apply_intent(payment=payment, intent=obj)
        return f"payment {payment.pk}: {before} -> {payment.status}"
    if kind in ("refund.created", "refund.updated", "refund.failed"):
        refund = Refund.objects.filter(stripe_id=obj.get("id", "")).first()
        if refund is not None:
            _apply_refund(refund, obj)
            return f"refund {refund.pk}: {refund.status}"
    return "ignored"


# --- Reconcile ------------------------------------------------------------------------------------


def payments_reconcile(*, now: dt.datetime | None = None, limit: int = 100) -> dict[str, int]:
    """What a lost webhook, a lost nudge or a lost answer left: run by beat every few minutes,
    safe to run twice. Every step is the same idempotent function the normal path uses."""
    now = now or timezone.now()
    stale = now - STALE_AFTER
    counts = {"collected": 0, "synced": 0, "refunds": 0, "released": 0}
    # First what is in doubt (an answer or a webhook lost): ask Stripe; what never reached it
    # goes back to be collected just below.
    unsure = Payment.objects.filter(
        Q(status=Payment.Status.PROCESSING, updated_at__lte=stale)
        | Q(status=Payment.Status.REQUIRES_ACTION)
    )
    back: list[int] = []
    for payment in list(unsure[:limit]):
        if payment_sync(payment=payment, now=now).status == Payment.Status.PENDING:
            back.append(payment.pk)
        counts["synced"] += 1
    due = Payment.objects.filter(
        Q(status=Payment.Status.PENDING, updated_at__lte=stale)
        | Q(status=Payment.Status.PENDING, pk__in=back)
        | Q(status=Payment.Status.AUTHORIZED, updated_at__lte=stale)
    ).exclude(action=Payment.Action.CARD)
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        payment_collect(payment_id=pk)
        counts["collected"] += 1
    refunds = Refund.objects.filter(
        Q(status=Refund.Status.PENDING, created_at__lte=stale)
        | Q(status=Refund.Status.PROCESSING, updated_at__lte=stale)
    )
    for pk in list(refunds.values_list("pk", flat=True)[:limit]):
        refund_execute(refund_id=pk)
        counts["refunds"] += 1
    held = Checkout.objects.filter(
        status__in=(Checkout.Status.AUTHORIZED, Checkout.Status.OPEN),
        booking__isnull=True,
        updated_at__lte=now - CHECKOUT_HOLD,
    ).exclude(deposit_intent="")
    for checkout in list(held[:limit]):
        _release_checkout(checkout)
        counts["released"] += 1
    return counts


# --- Receipts -------------------------------------------------------------------------------------


def _enqueue_receipt(booking: Booking, *, reason: str) -> None:
    """The receipt e-mail, once per reason (the visit completed, a fee, a tip, a refund)."""
    outbox.enqueue(
        kind=RECEIPT_KIND,
        to=booking.client.user.email,
        facts={"booking": booking.pk},
        key=_key("receipt", booking.pk, reason),
    )
