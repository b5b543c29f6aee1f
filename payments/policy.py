"""The money rules, in one place and pure: what a visit costs at booking, after it, and when it
is cancelled late or missed. Amounts are integer cents; percentages round half up to the cent.

- **At booking** the card is saved (``card``), or a deposit of ``deposit_percent`` of the price
  is held and then taken (``deposit``).
- **After the visit** the balance (the price less the deposit taken) is charged to the card.
- **A late cancel** (by the client, or at their request, inside the cancellation cut-off) costs
  ``late_cancel_percent`` of the price; **a no-show** ``no_show_percent``. The deposit counts
  towards the fee: only the rest is charged, and a deposit larger than the fee is refunded
  down to it.
- **Any other cancellation** (on time, or by the therapist or the business), a declined or an
  expired request: the deposit is refunded in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from payments.models import PaymentPolicy
from therapists.models import TherapistProfile

CARD = PaymentPolicy.Mode.CARD
DEPOSIT = PaymentPolicy.Mode.DEPOSIT


@dataclass(frozen=True)
class Terms:
    """A therapist's terms with the site defaults filled in."""

    mode: str
    deposit_percent: int
    late_cancel_percent: int
    no_show_percent: int
    currency: str

    def deposit_cents(self, price_cents: int) -> int:
        return percent_of(price_cents, self.deposit_percent) if self.mode == DEPOSIT else 0

    def late_cancel_cents(self, price_cents: int) -> int:
        return percent_of(price_cents, self.late_cancel_percent)

    def no_show_cents(self, price_cents: int) -> int:
        return percent_of(price_cents, self.no_show_percent)


def site_terms() -> Terms:
    return Terms(
        mode=settings.PAYMENTS_DEFAULT_MODE if settings.PAYMENTS_DEFAULT_MODE == DEPOSIT else CARD,
        deposit_percent=settings.PAYMENTS_DEFAULT_DEPOSIT_PERCENT,
        late_cancel_percent=settings.PAYMENTS_DEFAULT_LATE_CANCEL_PERCENT,
        no_show_percent=settings.PAYMENTS_DEFAULT_NO_SHOW_PERCENT,
        currency=settings.PAYMENTS_CURRENCY,
    )


def terms_for(therapist: TherapistProfile, policy: PaymentPolicy | None = None) -> Terms:
    """The therapist's terms: their own where they set one, the site's otherwise."""
    if policy is None:
        policy = PaymentPolicy.objects.filter(therapist=therapist).first()
    site = site_terms()
    if policy is None:
        return site
    return Terms(
        mode=policy.mode or site.mode,
        deposit_percent=_or(policy.deposit_percent, site.deposit_percent),
        late_cancel_percent=_or(policy.late_cancel_percent, site.late_cancel_percent),
        no_show_percent=_or(policy.no_show_percent, site.no_show_percent),
        currency=site.currency,
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def percent_of(cents: int, percent: int) -> int:
    return int((Decimal(cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_cents(amount: Decimal) -> int:
    """A price in the currency's main unit (``Booking.price``) in cents."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(cents: int, currency: str | None = None) -> str:
    """``$95.00`` for US dollars; ``95.00 EUR`` for anything else."""
    currency = (currency or settings.PAYMENTS_CURRENCY).lower()
    sign = "-" if cents < 0 else ""
    value = f"{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    if currency == "usd":
        return f"{sign}${value}"
    return f"{sign}{value} {currency.upper()}"


@dataclass(frozen=True)
class Settlement:
    """What a fee means for a booking with ``deposit_cents`` taken: charge ``charge_cents``
    more, or refund ``refund_cents`` of the deposit."""

    charge_cents: int
    refund_cents: int


def settle_fee(*, fee_cents: int, deposit_cents: int) -> Settlement:
    if fee_cents >= deposit_cents:
        return Settlement(charge_cents=fee_cents - deposit_cents, refund_cents=0)
    return Settlement(charge_cents=0, refund_cents=deposit_cents - fee_cents)


def terms_text(terms: Terms, *, price_cents: int | None = None) -> list[str]:
    """The policy in the client's words, one sentence a line (profile, review page, visit)."""
    hours = settings.BOOKING_CANCEL_CUTOFF_HOURS

    def amount(percent: int) -> str:
        if price_cents is None:
            return _("%(percent)s%% of the price") % {"percent": percent}
        return _("%(amount)s (%(percent)s%%)") % {
            "amount": money(percent_of(price_cents, percent), terms.currency),
            "percent": percent,
        }

    lines = []
    if terms.mode == DEPOSIT and terms.deposit_percent:
        lines.append(
            _("A deposit of %(amount)s is taken when you book; the rest after the visit.")
            % {"amount": amount(terms.deposit_percent)}
        )
    else:
        lines.append(
            _("Your card is saved when you book and charged after the visit. Nothing is taken now.")
        )
    if terms.late_cancel_percent:
        lines.append(
            _("Cancelling within %(hours)s hours of the visit costs %(amount)s.")
            % {"hours": hours, "amount": amount(terms.late_cancel_percent)}
        )
    else:
        lines.append(_("Cancelling late costs nothing."))
    if terms.no_show_percent:
        lines.append(
            _("Not being there when your therapist arrives costs %(amount)s.")
            % {"amount": amount(terms.no_show_percent)}
        )
    lines.append(_("If your therapist cancels, anything you paid is refunded in full."))
    return lines


def pay_at_visit_text() -> str:
    return _("Pay your therapist at the visit.")


def how_you_pay(terms: Terms | None, *, price_cents: int, booked: bool = False) -> str:
    """How and when the client pays, in one plain sentence: before they confirm (the review
    page) or once booked (the visit page and the booking e-mails). ``terms`` None: payments
    are off, or the booking was made while they were."""
    if terms is None:
        return _(
            "You pay your therapist at the visit, in the way you agree with them; nothing is "
            "paid online."
        )
    price = money(price_cents, terms.currency)
    deposit = terms.deposit_cents(price_cents)
    if deposit:
        words = {
            "deposit": money(deposit, terms.currency),
            "rest": money(price_cents - deposit, terms.currency),
        }
        if booked:
            return (
                _(
                    "You pay by card: a deposit of %(deposit)s was taken when you booked; the "
                    "rest, %(rest)s, is charged to the same card after the visit."
                )
                % words
            )
        return (
            _(
                "You pay by card: a deposit of %(deposit)s is taken when you confirm; the rest, "
                "%(rest)s, is charged to the same card after the visit."
            )
            % words
        )
    if booked:
        return _(
            "You pay by card: the card you saved when you booked is charged %(price)s after "
            "the visit. Nothing was taken before."
        ) % {"price": price}
    return _(
        "You pay by card: your card is saved when you confirm, and %(price)s is charged "
        "after the visit. Nothing is taken now."
    ) % {"price": price}
