"""How the booking flow takes payment without knowing who takes it.

The review page (``booking.views.review``) asks the registered :class:`Checkout` for three
things (and, like the visit page and the booking e-mails, for the sentence that says how and
when the client pays, :meth:`Checkout.expectation`): a panel to show (the card form, the
payment policy), an authorisation before ``booking_create`` (the card saved, a deposit held),
and a release if ``booking_create`` then refuses (the held deposit let go). The visit page asks
it for a panel too (what was paid, the receipt). The payments app registers its checkout in
``AppConfig.ready``, as apps register their e-mail builders with ``core.outbox``; without one,
nothing is shown and nothing is asked.

What the checkout writes for the booking itself (the ``Payment`` rows) it writes from
``booking.signals.booking_changed``, inside the booking's transaction: booking never imports
the app above it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.refusals import Refusal

if TYPE_CHECKING:
    # Types only: the payments app imports this module from its AppConfig, before models load.
    from booking.models import Booking
    from clients.models import ClientProfile
    from therapists.models import Service, TherapistProfile


class CheckoutRefused(Refusal):
    """The payment needed to book did not go through (a declined card, a processor that did
    not answer): shown on the review form, and no booking is made."""

    code = "checkout_refused"
    default_message = _("Your payment did not go through. Your visit is not booked.")


class CheckoutActionRequired(Exception):
    """The client must do something in the browser first (3-D Secure): the review page is
    shown again with ``panel``, whose script does it and submits the form again."""

    def __init__(self, panel: Panel) -> None:
        super().__init__("action required")
        self.panel = panel


@dataclass
class Panel:
    """A part of a page that the checkout fills: a template and its context."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


class Checkout(Protocol):
    def review_panel(
        self,
        *,
        request: HttpRequest,
        client: ClientProfile,
        therapist: TherapistProfile,
        service: Service,
    ) -> Panel | None: ...

    def authorize(
        self,
        *,
        request: HttpRequest,
        client: ClientProfile,
        therapist: TherapistProfile,
        service: Service,
        starts_at: dt.datetime,
    ) -> None:
        """Raise :class:`CheckoutRefused` or :class:`CheckoutActionRequired`, or return when
        the booking may be made."""
        ...

    def release(self, *, request: HttpRequest, client: ClientProfile) -> None:
        """``booking_create`` refused after :meth:`authorize`: let go of what it holds."""
        ...

    def visit_panel(self, *, booking: Booking) -> Panel | None: ...

    def expectation(
        self,
        *,
        therapist: TherapistProfile,
        service: Service,
        booking: Booking | None = None,
    ) -> str:
        """How and when the client pays, in one sentence: before confirming (no
        ``booking``), or for ``booking`` once made (the visit page and its e-mails)."""
        ...


class NoCheckout:
    """No payments app: nothing to show, nothing to ask."""

    def review_panel(self, **kwargs: Any) -> Panel | None:
        return None

    def authorize(self, **kwargs: Any) -> None:
        return None

    def release(self, **kwargs: Any) -> None:
        return None

    def visit_panel(self, **kwargs: Any) -> Panel | None:
        return None

    def expectation(self, **kwargs: Any) -> str:
        return ""


_checkout: Checkout = NoCheckout()


def register(checkout: Checkout) -> Checkout:
    global _checkout
    _checkout = checkout
    return checkout


def current() -> Checkout:
    return _checkout
