"""Reads for payments: a visit's money in the words a receipt uses, a therapist's terms in the
client's words, and the totals per therapist that the admin reports show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from booking.models import Booking
from clients.models import ClientProfile
from payments.models import BookingTerms, Customer, Payment, Refund
from payments.policy import (
    Terms,
    how_you_pay,
    money,
    pay_at_visit_text,
    terms_for,
    terms_text,
    to_cents,
)
from therapists.models import Service, TherapistProfile


def therapist_terms_text(*, therapist: TherapistProfile, price: object = None) -> list[str]:
    """The therapist's payment terms for a profile or the review page (``price``: a
    ``Decimal`` to show amounts rather than percentages)."""
    if not settings.PAYMENTS_ENABLED:
        return [pay_at_visit_text()]
    cents = to_cents(price) if price is not None else None  # type: ignore[arg-type]
    return terms_text(terms_for(therapist), price_cents=cents)


def saved_card_label(*, client: ClientProfile) -> str:
    customer = Customer.objects.filter(client=client).first()
    return customer.card_label if customer else ""


@dataclass
class Line:
    label: str
    cents: int
    note: str = ""


@dataclass
class BookingMoney:
    """A visit's money, as a receipt shows it."""

    paid_at_visit: bool
    currency: str
    price_cents: int
    card: str = ""
    lines: list[Line] = field(default_factory=list)
    refunds: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    paid_cents: int = 0
    refunded_cents: int = 0
    tip_cents: int = 0
    terms: list[str] = field(default_factory=list)
    needs_action: Payment | None = None

    @property
    def net_cents(self) -> int:
        return self.paid_cents - self.refunded_cents

    def show(self, cents: int) -> str:
        return money(cents, self.currency)


def booking_money(*, booking: Booking) -> BookingMoney:
    terms = BookingTerms.objects.filter(booking=booking).first()
    if terms is None:
        return BookingMoney(
            paid_at_visit=True,
            currency=settings.PAYMENTS_CURRENCY,
            price_cents=to_cents(booking.price),
            terms=[pay_at_visit_text()],
        )
    result = BookingMoney(
        paid_at_visit=False,
        currency=terms.currency,
        price_cents=terms.price_cents,
        terms=terms_text(terms_for_booking(terms), price_cents=terms.price_cents),
    )
    payments = list(
        Payment.objects.filter(booking=booking).prefetch_related("refunds").order_by("pk")
    )
    for payment in payments:
        if payment.action == Payment.Action.CARD:
            customer = Customer.objects.filter(client_id=booking.client_id).first()
            if customer and customer.payment_method == payment.payment_method:
                result.card = customer.card_label
            continue
        note = ""
        if payment.status == Payment.Status.SUCCEEDED:
            result.paid_cents += payment.amount_cents
            if payment.action == Payment.Action.TIP:
                result.tip_cents += payment.amount_cents
        elif payment.status == Payment.Status.AUTHORIZED:
            note = _("held on your card")
        elif payment.status == Payment.Status.CANCELED:
            note = _("released, not charged")
        else:
            note = payment.message or str(payment.get_status_display())
            if payment.status == Payment.Status.REQUIRES_ACTION:
                result.needs_action = payment
            elif payment.status == Payment.Status.FAILED:
                result.notes.append(
                    _("%(what)s of %(amount)s was not paid: %(why)s")
                    % {
                        "what": payment.get_action_display(),
                        "amount": money(payment.amount_cents, payment.currency),
                        "why": payment.message or _("the card was declined"),
                    }
                )
        result.lines.append(Line(str(payment.get_action_display()), payment.amount_cents, note))
        for refund in payment.refunds.all():
            if (
                refund.status == Refund.Status.SUCCEEDED
                and payment.status != Payment.Status.CANCELED
            ):
                result.refunded_cents += refund.amount_cents
                result.refunds.append(
                    Line(
                        _("Refund of the %(what)s")
                        % {"what": payment.get_action_display().lower()},
                        refund.amount_cents,
                        refund.reason if refund.actor_id else "",
                    )
                )
            elif refund.status in (Refund.Status.PENDING, Refund.Status.PROCESSING):
                result.notes.append(
                    _("A refund of %(amount)s is on its way.")
                    % {"amount": money(refund.amount_cents, payment.currency)}
                )
    return result


def terms_for_booking(terms: BookingTerms) -> Terms:
    """The agreed terms in the shape ``payments.policy`` words them."""
    return Terms(
        mode=terms.mode,
        deposit_percent=terms.deposit_percent,
        late_cancel_percent=terms.late_cancel_percent,
        no_show_percent=terms.no_show_percent,
        currency=terms.currency,
    )


@dataclass
class TherapistTotals:
    therapist_id: int
    collected_cents: int
    fees_cents: int
    tips_cents: int
    refunded_cents: int


def totals_by_therapist(
    *, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[TherapistTotals]:
    """Money taken per therapist for visits starting in [start, end): everything collected,
    of which fees and tips, and what was refunded. For the admin reports."""
    payments: QuerySet[Payment] = Payment.objects.filter(status=Payment.Status.SUCCEEDED)
    refunds: QuerySet[Refund] = Refund.objects.filter(status=Refund.Status.SUCCEEDED)
    if start is not None:
        payments = payments.filter(booking__starts_at__gte=start)
        refunds = refunds.filter(payment__booking__starts_at__gte=start)
    if end is not None:
        payments = payments.filter(booking__starts_at__lt=end)
        refunds = refunds.filter(payment__booking__starts_at__lt=end)
    fees = Q(action__in=(Payment.Action.LATE_CANCEL_FEE, Payment.Action.NO_SHOW_FEE))
    rows = payments.values("booking__therapist_id").annotate(
        collected=Sum("amount_cents"),
        fees=Sum("amount_cents", filter=fees),
        tips=Sum("amount_cents", filter=Q(action=Payment.Action.TIP)),
    )
    refunded = dict(
        refunds.values("payment__booking__therapist_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("payment__booking__therapist_id", "total")
    )
    return [
        TherapistTotals(
            therapist_id=row["booking__therapist_id"],
            collected_cents=row["collected"] or 0,
            fees_cents=row["fees"] or 0,
            tips_cents=row["tips"] or 0,
            refunded_cents=refunded.get(row["booking__therapist_id"], 0) or 0,
        )
        for row in rows.order_by("booking__therapist_id")
    ]


def payment_expectation(
    *,
    therapist: TherapistProfile,
    service: Service,
    booking: Booking | None = None,
) -> str:
    """How and when the client pays for ``service`` with ``therapist``: the terms they would
    agree to now, or, for ``booking``, the terms it was made on (``BookingTerms``; none when
    it was made with payments off)."""
    if booking is not None:
        agreed = BookingTerms.objects.filter(booking=booking).first()
        if agreed is None:
            return how_you_pay(None, price_cents=to_cents(booking.price), booked=True)
        return how_you_pay(terms_for_booking(agreed), price_cents=agreed.price_cents, booked=True)
    if not settings.PAYMENTS_ENABLED:
        return how_you_pay(None, price_cents=to_cents(service.price))
    return how_you_pay(terms_for(therapist), price_cents=to_cents(service.price))
