from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clients.body import REGION_CHOICES, REGIONS
from clients.models import ClientProfile, Intake
from clients.selectors import client_local_today, pain_areas_sorted
from clients.services import (
    TEXT_LIMIT,
    PainAreaInput,
    postcode_not_found_message,
    state_mismatch_message,
)
from core.geo import US_STATES, lookup_postcode, normalise_postcode, state_for_postcode
from core.inputs import BoundedDateField
from core.zones import time_zone_choices

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_PHONE_RE = re.compile(r"^[0-9+()./\-\s]+$")


def state_choices() -> list[tuple[str, str]]:
    states = sorted(US_STATES.items(), key=lambda c: c[1])
    return [("", str(_("Choose your state"))), *states]


def _clean_phone(value: str, *, required: bool) -> str:
    value = value.strip()
    if not value:
        if required:
            raise ValidationError(_("Enter a phone number."))
        return value
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_RE.match(value) or not 7 <= digits <= 15:
        raise ValidationError(_("Enter a phone number with 7 to 15 digits, e.g. +1 212 555 0100."))
    return value


class ClientProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("Your therapist calls this number if they are running late or lost."),
    )
    street = forms.CharField(
        label=_("Street address"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        help_text=_("Include the apartment or floor."),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    state = forms.ChoiceField(
        label=_("State"),
        widget=forms.Select(attrs={"autocomplete": "address-level1"}),
        error_messages={"required": _("Choose the state of your address.")},
    )
    postcode = forms.CharField(
        label=_("ZIP code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    access_notes = forms.CharField(
        label=_("Access notes for a home visit"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Parking, stairs or lift, pets, entry code, and where a massage table fits."),
    )
    emergency_contact_name = forms.CharField(
        label=_("Emergency contact name"), required=False, max_length=120
    )
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact phone"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    email_reminders = forms.BooleanField(
        label=_("E-mail me about my visits: the day before, and aftercare afterwards"),
        required=False,
        help_text=_("Safety tips after a visit: water, cold and heat, and when to see a doctor."),
    )
    email_offers = forms.BooleanField(
        label=_("E-mail me suggestions for my next visit"), required=False
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Visit times are shown to you in this zone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time_zone = self.fields["time_zone"]
        assert isinstance(time_zone, forms.ChoiceField)
        time_zone.choices = time_zone_choices(self.initial.get("time_zone"))
        state = self.fields["state"]
        assert isinstance(state, forms.ChoiceField)
        state.choices = state_choices()

    @classmethod
    def initial_for(cls, *, user: Any, profile: ClientProfile | None) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email_reminders": True,
            "email_offers": True,
            "time_zone": "America/New_York",
        }
        if profile is not None:
            for name in cls.base_fields:
                if hasattr(profile, name):
                    initial[name] = getattr(profile, name)
        return initial

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data["phone"], required=True)

    def clean_emergency_contact_phone(self) -> str:
        return _clean_phone(self.cleaned_data["emergency_contact_phone"], required=False)

    def clean_postcode(self) -> str:
        postcode = normalise_postcode(self.cleaned_data["postcode"])
        if lookup_postcode(postcode) is None:
            raise ValidationError(postcode_not_found_message(postcode))
        return postcode

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        postcode, state = data.get("postcode"), data.get("state")
        zip_state = state_for_postcode(postcode) if postcode else None
        if state and zip_state and state != zip_state:
            self.add_error("state", state_mismatch_message(postcode or "", state, zip_state))
        return data


def _area_field_names(slug: str) -> tuple[str, str]:
    return f"intensity_{slug}", f"refers_{slug}"


class IntakeForm(forms.Form):
    """The health intake. The body map's real controls are the ``areas`` checkboxes and, per
    area, an intensity and a "pain travels to" list; the SVG drawing only clicks them."""

    areas = forms.MultipleChoiceField(
        label=_("Where does it hurt?"),
        choices=REGION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reasons = forms.MultipleChoiceField(
        label=_("What brings you?"),
        choices=Intake.Reason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick all that apply."),
    )
    goals = forms.CharField(
        label=_("Your goals, in your own words"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: turn my head when driving without pain; sleep through the night."
        ),
    )
    pressure = forms.ChoiceField(
        label=_("Pressure you prefer"),
        choices=Intake.Pressure.choices,
        widget=forms.RadioSelect,
        help_text=_("You direct the pressure: you can ask for lighter or firmer at any time."),
    )
    discomfort_ceiling = forms.IntegerField(
        label=_("The most discomfort you accept, from 1 to 10"),
        min_value=1,
        max_value=10,
        initial=7,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_(
            "Some discomfort is normal and helps, but it must stay tolerable. About 7 is the "
            "ceiling for most people: at 10 your muscles tense against the pain and the work "
            "stops helping; at 1 it does nothing."
        ),
    )
    confirm_high_ceiling = forms.BooleanField(
        label=_(
            "I understand that above 7 my muscles may tense against the pain, and I still want "
            "to allow it."
        ),
        required=False,
    )
    last_massage_on = BoundedDateField(
        label=_("Date of your last massage"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A rough date is fine."),
    )
    never_had_massage = forms.BooleanField(label=_("I have never had a massage"), required=False)
    screening = forms.MultipleChoiceField(
        label=_("Do any of these apply to you now?"),
        choices=Intake.Screening.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Any of these means postponing the visit or getting your doctor's clearance "
            "before it. Your therapist checks with you."
        ),
    )
    screening_none = forms.BooleanField(label=_("None of these apply to me"), required=False)
    front_of_body = forms.BooleanField(
        label=_("Please work on the front of my body too (chest, front of the neck, arms)"),
        required=False,
        help_text=_(
            "Tight muscles at the front often cause back and neck pain; working only the back "
            "can leave you feeling unbalanced."
        ),
    )
    side_lying = forms.BooleanField(
        label=_("I would rather lie on my side than face down for a long time"),
        required=False,
        help_text=_("Lying face down for long can stiffen the lower back."),
    )
    medications = forms.CharField(
        label=_("Medications you take"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    other_notes = forms.CharField(
        label=_("Anything else your therapist should know"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent_treatment = forms.BooleanField(
        label=_("I consent to trigger point therapy by a HomeKnots therapist."),
        error_messages={"required": _("We need your consent to treatment before a visit.")},
    )
    consent_data = forms.BooleanField(
        label=_(
            "I consent to HomeKnots storing this health information and showing it to the "
            "therapists I book, from a week before each visit until a month after."
        ),
        error_messages={"required": _("We need your consent to store this health information.")},
    )

    def __init__(self, *args: Any, client: ClientProfile | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        today = client_local_today(client=client)
        self.fields["last_massage_on"].widget.attrs["max"] = today.isoformat()
        for region in REGIONS:
            intensity, refers = _area_field_names(region.slug)
            self.fields[intensity] = forms.IntegerField(
                label=_("How strong is the pain in %(area)s, from 0 to 10?")
                % {"area": region.label},
                required=False,
                min_value=0,
                max_value=10,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 10}),
            )
            # Checkboxes, not a multi-select: a multi-select needs Ctrl-click with a mouse and
            # is hard to use by touch. The template lays them out in front/back groups.
            self.fields[refers] = forms.MultipleChoiceField(
                label=_("Pain from %(area)s travels to (optional)") % {"area": region.label},
                required=False,
                choices=[c for c in REGION_CHOICES if c[0] != region.slug],
                widget=forms.CheckboxSelectMultiple,
            )

    @classmethod
    def initial_from(cls, intake: Intake | None) -> dict[str, Any]:
        """Prefill from the current version, except consent: each version is consented anew."""
        if intake is None:
            return {"discomfort_ceiling": 7}
        initial: dict[str, Any] = {
            "reasons": intake.reasons,
            "goals": intake.goals,
            "pressure": intake.pressure,
            "discomfort_ceiling": intake.discomfort_ceiling,
            "confirm_high_ceiling": intake.discomfort_ceiling > 7,
            "last_massage_on": intake.last_massage_on,
            "never_had_massage": intake.never_had_massage,
            "screening": intake.screening,
            "screening_none": intake.screening_none,
            "front_of_body": intake.front_of_body,
            "side_lying": intake.side_lying,
            "medications": intake.medications,
            "other_notes": intake.other_notes,
        }
        areas = pain_areas_sorted(intake=intake)
        initial["areas"] = [a.region for a in areas]
        for area in areas:
            intensity, refers = _area_field_names(area.region)
            initial[intensity] = area.intensity
            initial[refers] = area.refers_to
        return initial

    def area_rows(self) -> list[dict[str, Any]]:
        """For the template: per region, its checkbox state, its intensity field, and where its
        pain travels as checkboxes grouped by the drawing they are on (front, back)."""
        chosen = set(self["areas"].value() or [])
        rows = []
        for region in REGIONS:
            intensity, refers = _area_field_names(region.slug)
            travels = set(self[refers].value() or [])
            groups = [
                {
                    "view": view,
                    "options": [
                        {"slug": r.slug, "label": r.label, "checked": r.slug in travels}
                        for r in REGIONS
                        if r.view == view and r.slug != region.slug
                    ],
                }
                for view in ("front", "back")
            ]
            rows.append(
                {
                    "region": region,
                    "checked": region.slug in chosen,
                    "intensity": self[intensity],
                    "refers": self[refers],
                    "travels_groups": groups,
                }
            )
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        ceiling = data.get("discomfort_ceiling")
        if ceiling is not None and ceiling > 7 and not data.get("confirm_high_ceiling"):
            self.add_error(
                "confirm_high_ceiling",
                _("You chose more than 7: tick the box to confirm, or choose 7 or less."),
            )
        never, last = data.get("never_had_massage"), data.get("last_massage_on")
        if never and last:
            self.add_error("last_massage_on", _("Give a date or tick “never”, not both."))
        elif not never and last is None and "last_massage_on" not in self.errors:
            self.add_error(
                "last_massage_on", _("Give the date of your last massage, or tick “never”.")
            )
        screening, none = data.get("screening") or [], data.get("screening_none")
        if screening and none:
            self.add_error(
                "screening_none", _("You ticked a condition and “None of these”: choose one.")
            )
        elif not screening and not none:
            self.add_error(
                "screening", _("Tick what applies to you now, or “None of these apply to me”.")
            )
        if last and last > client_local_today(client=self.client):
            self.add_error(
                "last_massage_on", _("The date of your last massage cannot be in the future.")
            )

        chosen = set(data.get("areas") or [])
        for region in REGIONS:
            if region.slug not in chosen:
                # Details of an unticked area are ignored, so are any mistakes in them.
                for name in _area_field_names(region.slug):
                    self.errors.pop(name, None)

        pain_areas: list[PainAreaInput] = []
        for slug in data.get("areas") or []:
            intensity_name, refers_name = _area_field_names(slug)
            if intensity_name in self.errors:
                continue
            intensity = data.get(intensity_name)
            if intensity is None:
                self.add_error(
                    intensity_name, _("Give this area an intensity from 0 (none) to 10 (worst).")
                )
                continue
            pain_areas.append(
                PainAreaInput(
                    region=slug, intensity=intensity, refers_to=tuple(data.get(refers_name) or ())
                )
            )
        data["pain_areas"] = pain_areas
        return data

    SHORT_LABELS = {
        "areas": _("Where it hurts"),
        "confirm_high_ceiling": _("Discomfort above 7"),
        "discomfort_ceiling": _("Most discomfort"),
        "last_massage_on": _("Last massage"),
        "screening": _("Health screening"),
        "screening_none": _("Health screening"),
        "consent_treatment": _("Consent to treatment"),
        "consent_data": _("Consent to store health information"),
    }

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(anchor id, short label, message) for each error, in page order."""
        rows: list[tuple[str, str, str]] = []
        rows += [("intake-form", "", str(e)) for e in self.non_field_errors()]
        area_labels = {r.slug: r.label for r in REGIONS}
        # The body map comes first on the page, though its detail fields are added last.
        in_page_order = sorted(
            self, key=lambda b: 0 if b.name.startswith(("areas", "intensity_", "refers_")) else 1
        )
        for bound in in_page_order:
            if not bound.errors:
                continue
            name = bound.name
            label: StrOrPromise
            if name.startswith(("intensity_", "refers_")):
                kind, slug = name.split("_", 1)
                label = (
                    _("%(area)s: intensity") if kind == "intensity" else _("%(area)s: travels to")
                ) % {"area": area_labels.get(slug, slug)}
            else:
                label = self.SHORT_LABELS.get(name, bound.label)
            if name == "areas":
                anchor = "areas-fieldset"
            elif name.startswith("refers_"):
                anchor = f"travels-{name.removeprefix('refers_')}"
            else:
                anchor = bound.id_for_label
            rows += [(anchor, str(label), str(e)) for e in bound.errors]
        return rows

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "reasons": d["reasons"],
            "goals": d["goals"],
            "pressure": d["pressure"],
            "discomfort_ceiling": d["discomfort_ceiling"],
            "last_massage_on": d["last_massage_on"],
            "never_had_massage": d["never_had_massage"],
            "screening": d["screening"],
            "screening_none": d["screening_none"],
            "front_of_body": d["front_of_body"],
            "side_lying": d["side_lying"],
            "medications": d["medications"],
            "other_notes": d["other_notes"],
            "consent_treatment": d["consent_treatment"],
            "consent_data": d["consent_data"],
            "pain_areas": d["pain_areas"],
        }
