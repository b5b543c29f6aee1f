from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.inputs import parse_moment
from therapists.models import Modality, Service

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def parse_slot(value: str | None) -> datetime | None:
    """A slot from a query or form value: an aware ISO 8601 time within the range
    ``core.inputs`` allows, in UTC, or None (a naive, malformed or far-off time)."""
    return parse_moment(value)


def duration_choices() -> list[tuple[str, StrOrPromise]]:
    minutes = (
        Service.objects.filter(is_active=True)
        .values_list("duration_minutes", flat=True)
        .distinct()
        .order_by("duration_minutes")
    )
    return [(str(m), _("%(m)s minutes") % {"m": m}) for m in minutes] or [("60", _("60 minutes"))]


class ChooseServiceForm(forms.Form):
    """Step 1: what kind of session, and how long. A GET form: it works without JavaScript
    and its address can be shared or bookmarked."""

    modality = forms.ChoiceField(
        label=_("Kind of session"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the kind of session you want."),
            "invalid_choice": _("Choose the kind of session you want."),
        },
    )
    duration = forms.TypedChoiceField(
        label=_("Length"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how long the session should be."),
            "invalid_choice": _("Choose how long the session should be."),
        },
    )
    postcode = forms.CharField(
        label=_("Your postcode"),
        required=False,
        max_length=16,
        help_text=_("So we only show therapists who come to you."),
    )

    def __init__(self, *args: Any, show_postcode: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modalities = list(Modality.objects.order_by("position", "name"))
        modality, duration = self.fields["modality"], self.fields["duration"]
        assert isinstance(modality, forms.ChoiceField)
        assert isinstance(duration, forms.ChoiceField)
        modality.choices = [(m.slug, m.name) for m in self.modalities]
        duration.choices = duration_choices()
        if not show_postcode:
            del self.fields["postcode"]


class ConfirmForm(forms.Form):
    """The review page's POST: the slot, and the acknowledgement of "needs clearance" flags."""

    therapist = forms.IntegerField(widget=forms.HiddenInput)
    service = forms.IntegerField(widget=forms.HiddenInput)
    starts_at = forms.CharField(
        label=_("Time"), error_messages={"required": _("Choose one of the free times.")}
    )
    acknowledge = forms.BooleanField(
        required=False,
        label=_(
            "I have read the warning above. I will check with my doctor and tell my therapist "
            "before the visit if any of it applies."
        ),
    )

    def __init__(self, *args: Any, needs_acknowledgement: bool = False, **kwargs: Any) -> None:
        # Whether the tick is needed is booking.policy's rule: booking_create refuses without
        # it and the view shows that refusal on this field. Here it only decides what to show.
        super().__init__(*args, **kwargs)
        self.needs_acknowledgement = needs_acknowledgement

    def clean_starts_at(self) -> datetime:
        value = parse_slot(self.cleaned_data["starts_at"])
        if value is None:
            raise forms.ValidationError(_("That time is not valid. Please choose a free time."))
        return value


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Your therapist sees this."),
    )


class RescheduleForm(forms.Form):
    starts_at = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose one of the free times.")},
    )

    def clean_starts_at(self) -> datetime:
        value = parse_slot(self.cleaned_data["starts_at"])
        if value is None:
            raise forms.ValidationError(_("That time is not valid. Please choose a free time."))
        return value


class VisitActionForm(forms.Form):
    ACTIONS = (
        ("confirm", _("Confirm")),
        ("record_clearance", _("Record clearance seen")),
        ("postpone", _("Postpone until cleared")),
        ("decline", _("Decline")),
        ("cancel", _("Cancel")),
        ("cancel_for_client", _("Cancel at the client's request")),
        ("complete", _("Mark completed")),
        ("no_show", _("No-show")),
    )

    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(required=False, max_length=500)
