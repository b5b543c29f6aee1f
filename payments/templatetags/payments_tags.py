from __future__ import annotations

from django import template

from payments.policy import money

register = template.Library()


@register.filter
def cents(value: int | None, currency: str = "") -> str:
    """``9500|cents:"usd"`` → ``$95.00``."""
    return money(int(value or 0), currency or None)
