"""The one door to Stripe: a client built from the settings (keys, API base, short timeouts,
no automatic network retries: a retry is the app's decision, guarded by its own rows), and the
two kinds of failure the services tell apart.

- :class:`Declined`: Stripe answered and said no (a declined card, an invalid request). Final
  for this attempt; ``message`` is fit to show.
- :class:`Unreachable`: no answer in time, or Stripe's own error. The outcome is unknown: the
  services leave the row in a state that reconcile resolves by asking Stripe later.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class Declined(Exception):
    def __init__(self, message: str, *, code: str = "", intent: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.intent = intent


class Unreachable(Exception):
    pass


UNREACHABLE_MESSAGE = "We could not reach our card processor."


@functools.cache
def _client(api_key: str, api_base: str, timeout: float) -> stripe.StripeClient:
    base = {"api": api_base} if api_base else None
    return stripe.StripeClient(
        api_key,
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def client() -> stripe.StripeClient:
    return _client(
        settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, float(settings.STRIPE_TIMEOUT_SECONDS)
    )


def call(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one Stripe call and translate its failures (see the module docstring)."""
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as exc:
        error = exc.error
        raise Declined(
            str(getattr(error, "message", "") or _("Your card was declined.")),
            code=str(getattr(error, "code", "") or "card_declined"),
            intent=_intent_id(getattr(error, "payment_intent", None)),
        ) from exc
    except stripe.InvalidRequestError as exc:
        logger.warning("stripe refused %s: %s", what, exc.user_message or exc)
        raise Declined(
            str(exc.user_message or _("The card processor refused this payment.")),
            code=str(exc.code or "invalid_request"),
        ) from exc
    except stripe.StripeError as exc:
        # Connection errors, timeouts, Stripe's 5xx, rate limits, authentication.
        logger.warning("stripe did not answer %s: %s: %s", what, type(exc).__name__, exc)
        raise Unreachable(UNREACHABLE_MESSAGE) from exc


def _intent_id(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return str(getattr(value, "id", "") or "")


def field(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a Stripe object or a plain dict (webhook payloads)."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    try:
        return obj[name]
    except (KeyError, TypeError):
        return getattr(obj, name, default)


def object_id(value: Any) -> str:
    """An id, whether Stripe sent the id or the object expanded (localstripe expands
    ``latest_charge``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return str(field(value, "id", "") or "")
