"""Forms of the staff pages: they only parse."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("json", _("JSON file to download (complete, machine-readable)")),
            ("html", _("Readable page")),
        ],
        widget=forms.RadioSelect,
        initial="json",
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have checked that this is the client who asked to be erased"),
        required=True,
    )


def _this_year_start() -> str:
    today = timezone.localdate()
    start = dt.date(today.year, today.month, 1)
    for _step in range(11):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return start.strftime("%Y-%m")


def default_report_query() -> dict[str, str]:
    return {"start": _this_year_start(), "months": "12"}


class ReportForm(forms.Form):
    start = forms.RegexField(
        label=_("From month (YYYY-MM)"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": _("Give a month as YYYY-MM, e.g. 2026-01.")},
    )
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=36, required=False)
    therapist = forms.IntegerField(label=_("Therapist number"), min_value=1, required=False)

    def start_date(self) -> dt.date:
        value = self.cleaned_data.get("start") or _this_year_start()
        year, month = value.split("-")
        return dt.date(int(year), int(month), 1)

    def month_count(self) -> int:
        return int(self.cleaned_data.get("months") or 12)
