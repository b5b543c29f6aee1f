from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from booking.forms import parse_slot
from clients.body import REGION_BY_SLUG, REGION_CHOICES, REGIONS

from .models import FOLLOW_UP_DEFAULT_DAYS, FOLLOW_UP_MAX_DAYS, FOLLOW_UP_MIN_DAYS, Feedback

PRESSURE_CHOICES = [(n, str(n)) for n in range(1, 11)]
SORENESS_CHOICES = [(n, str(n)) for n in range(0, 11)]
RATING_CHOICES = [
    (5, _("5 · excellent")),
    (4, _("4 · good")),
    (3, _("3 · fine")),
    (2, _("2 · not great")),
    (1, _("1 · poor")),
]


class SessionNoteForm(forms.Form):
    """Quick to fill on a phone: tick areas, tap a pressure, a few words, save."""

    areas = forms.MultipleChoiceField(
        label=_("Areas treated"),
        choices=REGION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    trigger_points = forms.CharField(
        label=_("Trigger points found, and where their pain referred"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: upper trapezius (right), referring behind the right eye."),
    )
    pressure_used = forms.TypedChoiceField(
        label=_("Pressure used (1–10)"),
        choices=PRESSURE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the pressure you used, from 1 to 10.")},
    )
    client_response = forms.CharField(
        label=_("How the client responded"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    advice = forms.CharField(
        label=_("Advice given"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The client sees this in their dashboard and in the next-day e-mail."),
    )
    follow_up_days = forms.IntegerField(
        label=_("Recommended follow-up (days)"),
        min_value=FOLLOW_UP_MIN_DAYS,
        max_value=FOLLOW_UP_MAX_DAYS,
        initial=FOLLOW_UP_DEFAULT_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_(
            "14 days suits most clients: thirty minutes every other week does more good than "
            "an hour once a month. The follow-up reminder goes out after this many days."
        ),
    )

    def area_rows(self) -> list[dict[str, Any]]:
        """Checkbox rows grouped by view, in the same shape the intake's body map uses."""
        if self.is_bound:
            assert isinstance(self.data, MultiValueDict)  # bound to request.POST
            chosen = set(self.data.getlist("areas"))
        else:
            chosen = set(self.initial.get("areas") or [])
        return [{"region": r, "checked": r.slug in chosen} for r in REGIONS]


class FeedbackForm(forms.Form):
    soreness = forms.TypedChoiceField(
        label=_("How sore are you now? (0 = not at all, 10 = the worst)"),
        choices=SORENESS_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a number from 0 to 10.")},
    )
    pressure = forms.ChoiceField(
        label=_("The pressure was"),
        choices=Feedback.Pressure.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Say whether the pressure was too light, right or too deep.")
        },
    )
    rating = forms.TypedChoiceField(
        label=_("How would you rate your therapist?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("A comment for the therapist's profile (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on their profile with your first name once our team has checked it."),
    )
    message = forms.CharField(
        label=_("Anything else your therapist should know? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your therapist and our team see this."),
    )

    def __init__(self, *args: Any, areas: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area_slugs = [slug for slug in (areas or []) if slug in REGION_BY_SLUG]
        for slug in self.area_slugs:
            self.fields[f"area_{slug}"] = forms.TypedChoiceField(
                label=REGION_BY_SLUG[slug].label,
                choices=[("", _("—")), *SORENESS_CHOICES],
                coerce=int,
                empty_value=None,
                required=False,
            )

    def area_fields(self) -> list[forms.BoundField]:
        return [self[f"area_{slug}"] for slug in self.area_slugs]

    def area_soreness(self) -> dict[str, int]:
        return {
            slug: self.cleaned_data[f"area_{slug}"]
            for slug in self.area_slugs
            if self.cleaned_data.get(f"area_{slug}") is not None
        }


INTERVAL_CHOICES = [
    (1, _("every week")),
    (2, _("every 2 weeks")),
    (3, _("every 3 weeks")),
    (4, _("every 4 weeks")),
]
COUNT_CHOICES = [(n, str(n)) for n in range(2, 9)]


class SeriesForm(forms.Form):
    first = forms.ChoiceField(label=_("First visit"))
    interval_weeks = forms.TypedChoiceField(
        label=_("How often"), choices=INTERVAL_CHOICES, coerce=int, initial=2
    )
    visit_count = forms.TypedChoiceField(
        label=_("Number of visits"), choices=COUNT_CHOICES, coerce=int, initial=4
    )

    def __init__(
        self, *args: Any, slots: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        first = self.fields["first"]
        assert isinstance(first, forms.ChoiceField)
        first.choices = slots
        first.error_messages["required"] = _("Choose the time of the first visit.")

    def first_starts_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.cleaned_data["first"])


class SeriesConfirmForm(forms.Form):
    """The preview's POST: the chosen time of each visit (or "skip"), how often, and the
    acknowledgement of a clearance warning. Times must be aware ISO 8601: anything else is a
    form error, never an exception."""

    count = forms.IntegerField(min_value=2, max_value=12)
    interval_weeks = forms.IntegerField(min_value=1, max_value=8)
    acknowledge = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts: list[dt.datetime] = []
        for i in range(cleaned.get("count") or 0):
            value = (self.data.get(f"visit_{i}") or "").strip()
            if not value or value == "skip":
                continue
            moment = parse_slot(value)
            if moment is None:
                raise forms.ValidationError(_("A time in that series is not valid."))
            starts.append(moment)
        if len(starts) < 2:
            raise forms.ValidationError(_("A series needs at least two visits."))
        cleaned["starts"] = starts
        return cleaned

    def starts(self) -> list[dt.datetime]:
        return list(self.cleaned_data["starts"])
