"""The receipt e-mail: built after commit from the visit's payments as they are then (so a late
send shows the latest state), with a signed link to the receipt page and one to tip."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from booking.models import Booking
from core import outbox
from core.links import absolute
from core.timefmt import local_label
from payments import links
from payments.selectors import booking_money
from payments.services import RECEIPT_KIND


@outbox.builder(RECEIPT_KIND)
def build_receipt(facts: dict[str, Any], to: str) -> EmailMultiAlternatives:
    booking = Booking.objects.select_related(
        "client__user", "therapist__user", "service__modality"
    ).get(pk=facts["booking"])
    money = booking_money(booking=booking)
    context = {
        "booking": booking,
        "money": money,
        "name": booking.client.user.first_name or booking.client.user.display_name,
        "when": local_label(booking.starts_at, booking.client),
        "receipt_url": absolute(links.receipt_url(booking_id=booking.pk)),
        "tip_url": absolute(links.tip_url(booking_id=booking.pk))
        if booking.status == Booking.Status.COMPLETED and not money.tip_cents
        else "",
        "lines": [(line.label, money.show(line.cents), line.note) for line in money.lines],
        "refunds": [(line.label, money.show(line.cents)) for line in money.refunds],
        "total": money.show(money.net_cents),
        "price": money.show(money.price_cents),
    }
    subject = _("Your receipt: %(service)s on %(when)s") % {
        "service": booking.service,
        "when": context["when"],
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/payments/receipt.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string("emails/payments/receipt.html", context), "text/html"
    )
    return message
