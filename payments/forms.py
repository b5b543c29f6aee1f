from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.policy import money, percent_of
from payments.services import TIP_PERCENTS


class TipForm(forms.Form):
    """0/15/20/25% of the price, or an amount of the client's own."""

    choice = forms.ChoiceField(label=_("Tip"), widget=forms.RadioSelect)
    amount = forms.CharField(
        label=_("Another amount"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, price_cents: int, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.price_cents = price_cents
        choices = [
            (
                str(p),
                _("No tip")
                if p == 0
                else _("%(percent)s%% (%(amount)s)")
                % {"percent": p, "amount": money(percent_of(price_cents, p), currency)},
            )
            for p in TIP_PERCENTS
        ]
        choices.append(("other", _("Another amount")))
        field = self.fields["choice"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("choice")
        if choice == "other":
            raw = (data.get("amount") or "").strip().lstrip("$").replace(",", "")
            try:
                value = Decimal(raw)
            except InvalidOperation:
                self.add_error("amount", _("Write the amount as a number, e.g. 12.50."))
                return data
            if value < 0 or value != value.quantize(Decimal("0.01")):
                self.add_error("amount", _("Write the amount as a number, e.g. 12.50."))
                return data
            data["cents"] = int(value * 100)
        elif choice is not None:
            data["cents"] = percent_of(self.price_cents, int(choice))
        return data


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to refund"), min_value=Decimal("0.01"), decimal_places=2, max_digits=9
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)
    # The form's own idempotency key: a double submit refunds once.
    key = forms.CharField(widget=forms.HiddenInput)
