from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.forms import TherapistSignupForm as AccountsTherapistSignupForm
from core.geo import Point, lookup_postcode, normalise_postcode
from core.inputs import (
    BoundedDateField,
    BoundedDateTimeField,
    IdModelMultipleChoiceField,
    SafeImageField,
)
from core.units import KM_PER_MILE, uses_miles
from core.zones import time_zone_choices
from therapists.models import Modality, Service, TherapistProfile, WeeklyHours
from therapists.services import therapist_profile_create_pending

PHOTO_MAX_BYTES = 10 * 1024 * 1024
DURATION_CHOICES = [
    (m, _("%(minutes)s minutes") % {"minutes": m}) for m in (30, 45, 60, 75, 90, 120)
]


class TherapistSignupForm(AccountsTherapistSignupForm):
    """The accounts sign-up form for therapists, which also opens their (pending) profile."""

    def save(self, request: Any) -> Any:
        user = super().save(request)
        therapist_profile_create_pending(user=user)
        return user


class ProfileForm(forms.ModelForm):
    photo = SafeImageField(
        label=_("Photo"),
        required=False,
        help_text=_("A friendly, clear photo of your face. JPEG, PNG or WebP, up to 10 MB."),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)
    modalities = IdModelMultipleChoiceField(
        label=_("What you practise"),
        queryset=Modality.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose at least one."),
        error_messages={"required": _("Choose at least one modality you practise.")},
    )
    time_zone = forms.ChoiceField(label=_("Your time zone"), choices=time_zone_choices)
    # Asked in the units of the therapist's address (miles for a US ZIP), stored in km.
    radius = forms.IntegerField(
        label=_("How far you travel"),
        help_text=_("How far from your home base you travel to a client."),
    )
    travel_speed = forms.IntegerField(
        label=_("Average travel speed"),
        help_text=_("Used to leave enough time to get from one visit to the next."),
    )

    class Meta:
        model = TherapistProfile
        fields = [
            "display_name",
            "bio",
            "years_of_practice",
            "licence_number",
            "modalities",
            "languages",
            "accepts_new_clients",
            "time_zone",
            "postcode",
            "min_travel_buffer_minutes",
            "travel_from_home_base",
            "min_notice_hours",
            "max_visits_per_day",
            "auto_confirm",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "postcode": _("Where you start your day. We use it to show you to nearby clients."),
            "min_travel_buffer_minutes": _("The shortest gap you want between two visits."),
            "min_notice_hours": _("How long before a visit it can still be booked."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["licence_number"].required = True
        self.fields["postcode"].required = True
        self._original_postcode = self.instance.postcode
        self.miles = uses_miles(self.instance.postcode)
        factor = KM_PER_MILE if self.miles else 1.0
        unit, speed_unit = (_("miles"), _("mph")) if self.miles else (_("km"), _("km/h"))
        radius, speed = self.fields["radius"], self.fields["travel_speed"]
        assert isinstance(radius, forms.IntegerField) and isinstance(speed, forms.IntegerField)
        radius.label = _("How far you travel (%(unit)s)") % {"unit": unit}
        speed.label = _("Average travel speed (%(unit)s)") % {"unit": speed_unit}
        # The model's limits (1–200 km, 5–120 km/h) in the units shown.
        for field, low, high in ((radius, 1, 200), (speed, 5, 120)):
            field.min_value, field.max_value = max(1, round(low / factor)), int(high / factor)
            field.validators = [
                MinValueValidator(field.min_value),
                MaxValueValidator(field.max_value),
            ]
            field.widget.attrs.update(min=field.min_value, max=field.max_value)
        self._shown = {
            "radius": round(self.instance.radius_km / factor),
            "travel_speed": round(self.instance.travel_speed_kmh / factor),
        }
        self.initial.setdefault("radius", self._shown["radius"])
        self.initial.setdefault("travel_speed", self._shown["travel_speed"])
        self.point: Point | None = None
        if not self.instance.photo:
            del self.fields["remove_photo"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("About you"),
                "display_name",
                "photo",
                *(["remove_photo"] if "remove_photo" in self.fields else []),
                "bio",
                Div(
                    Div("years_of_practice", css_class="col-sm-6"),
                    Div("licence_number", css_class="col-sm-6"),
                    css_class="row",
                ),
                "modalities",
                "languages",
                "accepts_new_clients",
            ),
            Fieldset(
                _("Where you work"),
                "time_zone",
                Div(
                    Div("postcode", css_class="col-sm-6"),
                    Div("radius", css_class="col-sm-6"),
                    css_class="row",
                ),
                Div(
                    Div("travel_speed", css_class="col-sm-6"),
                    Div("min_travel_buffer_minutes", css_class="col-sm-6"),
                    css_class="row",
                ),
                "travel_from_home_base",
            ),
            Fieldset(
                _("Bookings"),
                Div(
                    Div("min_notice_hours", css_class="col-sm-6"),
                    Div("max_visits_per_day", css_class="col-sm-6"),
                    css_class="row",
                ),
                "auto_confirm",
            ),
            Submit("save", _("Save profile")),
        )

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError(_("That photo is over 10 MB; please choose a smaller one."))
        return photo

    def clean_postcode(self) -> str:
        postcode = normalise_postcode(self.cleaned_data["postcode"])
        self.point = lookup_postcode(postcode)
        if self.point is None:
            # Staff may have typed coordinates for a postcode we cannot look up offline.
            unchanged = postcode == normalise_postcode(self._original_postcode or "")
            if not (unchanged and self.instance.home_point is not None):
                raise forms.ValidationError(
                    _(
                        "We could not find postcode “%(postcode)s”. Enter a US ZIP code such as "
                        "10001; for a postcode outside the US, write to us and we will place "
                        "your home base by hand."
                    ),
                    params={"postcode": postcode},
                    code="unknown_postcode",
                )
        return postcode

    def _km(self, name: str, stored: int) -> int:
        shown = self.cleaned_data[name]
        if shown == self._shown[name]:
            return stored  # unchanged: no drift from rounding miles back to km
        return round(shown * KM_PER_MILE) if self.miles else shown

    def profile_data(self) -> dict[str, Any]:
        skip = {"photo", "remove_photo", "modalities", "radius", "travel_speed"}
        data = {k: v for k, v in self.cleaned_data.items() if k not in skip}
        data["radius_km"] = self._km("radius", self.instance.radius_km)
        data["travel_speed_kmh"] = self._km("travel_speed", self.instance.travel_speed_kmh)
        return data


class ServiceForm(forms.ModelForm):
    duration_minutes = forms.TypedChoiceField(
        label=_("Length"), choices=DURATION_CHOICES, coerce=int
    )
    price = forms.DecimalField(
        label=_("Price (USD)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("5000"))],
    )

    class Meta:
        model = Service
        fields = ["modality", "duration_minutes", "price", "name", "is_active"]
        labels = {"name": _("Name shown to clients (optional)")}
        help_texts = {"is_active": _("Untick to stop taking new bookings for it.")}

    def __init__(self, *args: Any, therapist: TherapistProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = therapist.modalities.all()
        modality = self.fields["modality"]
        assert isinstance(modality, forms.ModelChoiceField)
        modality.queryset = own if own.exists() else Modality.objects.all()
        modality.empty_label = None
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(
                Div("modality", css_class="col-md-4"),
                Div("duration_minutes", css_class="col-6 col-md-2"),
                Div("price", css_class="col-6 col-md-2"),
                Div("name", css_class="col-md-4"),
                css_class="row",
            ),
            "is_active",
        )


class WeeklyRangeForm(forms.Form):
    """One working range; the page shows one group of these per weekday, with a blank one
    at the end of each day for adding a range."""

    weekday = forms.TypedChoiceField(
        choices=WeeklyHours.Weekday.choices, coerce=int, widget=forms.HiddenInput
    )
    start_time = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if self.errors:
            return data
        start, end = data.get("start_time"), data.get("end_time")
        if (start is None) != (end is None):
            raise forms.ValidationError(
                _("Give both a start and an end time, or leave both empty.")
            )
        if start is not None and end is not None and end <= start:
            self.add_error("end_time", _("The end must be after the start."))
        return data

    @property
    def range(self) -> tuple[int, dt.time, dt.time] | None:
        data = getattr(self, "cleaned_data", {})
        if data.get("DELETE") or data.get("start_time") is None:
            return None
        return (data["weekday"], data["start_time"], data["end_time"])


WeeklyHoursFormSet = forms.formset_factory(WeeklyRangeForm, extra=0, can_delete=True, max_num=100)


def weekly_hours_initial(hours: Any) -> list[dict[str, Any]]:
    """The formset's rows: each day's ranges in order, then one blank row for that day."""
    rows: list[dict[str, Any]] = []
    by_day: dict[int, list[Any]] = {}
    for row in hours:
        by_day.setdefault(row.weekday, []).append(row)
    for weekday in WeeklyHours.Weekday.values:
        for row in sorted(by_day.get(weekday, []), key=lambda r: r.start_time):
            rows.append(
                {"weekday": weekday, "start_time": row.start_time, "end_time": row.end_time}
            )
        rows.append({"weekday": weekday})
    return rows


class TimeOffForm(forms.Form):
    first_day = BoundedDateField(
        label=_("First day off"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = BoundedDateField(
        label=_("Last day off"),
        required=False,
        help_text=_("Leave empty for a single day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label=_("Reason (only you see it)"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", _("The last day off cannot be before the first."))
            elif (last - first).days > 366:
                self.add_error("last_day", _("Time off can be at most a year at a time."))
        elif first:
            data["last_day"] = first
        return data


class DateOverrideForm(forms.Form):
    date = BoundedDateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The end must be after the start."))
        return data


class CalendarBlockForm(forms.Form):
    """A range selected on the calendar. Wall times are in the therapist's zone: the view
    activates that zone before validating, so naive input is read in it."""

    start = BoundedDateTimeField()
    end = BoundedDateTimeField()
    reason = forms.CharField(max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end <= start:
                raise forms.ValidationError(_("The end must be after the start."))
            if end - start > dt.timedelta(days=62):
                raise forms.ValidationError(_("Block at most two months at a time."))
        return data


class DirectoryFilterForm(forms.Form):
    modality = forms.ChoiceField(label=_("Kind of therapy"), required=False)
    postcode = forms.CharField(
        label=_("Your ZIP code"),
        required=False,
        max_length=16,
        help_text=_("Shows only therapists who travel to you."),
    )

    def __init__(self, *args: Any, modalities: list[Modality], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        modality = self.fields["modality"]
        assert isinstance(modality, forms.ChoiceField)
        modality.choices = [
            ("", _("Any")),
            *[(m.slug, m.name) for m in modalities],
        ]
