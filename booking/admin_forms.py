"""Forms for the booking admin's own pages. They only parse: whether a booking may be made is
``booking.services``'s answer, shown on the form as it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from booking.forms import parse_slot
from clients.models import ClientProfile
from therapists.models import Service, TherapistProfile


class _ServiceChoiceField(forms.ModelChoiceField):
    """Services of every therapist in one list: name the therapist in each label."""

    def label_from_instance(self, obj: Service) -> str:
        return f"{obj.therapist} · {obj}"


class BookForClientForm(forms.Form):
    client = forms.ModelChoiceField(
        queryset=ClientProfile.objects.select_related("user"),
        label=_("Client"),
        widget=forms.NumberInput,
        help_text=_("The client's number (see Clients)."),
    )
    service = _ServiceChoiceField(
        queryset=Service.objects.filter(
            is_active=True, therapist__approval=TherapistProfile.Approval.APPROVED
        ).select_related("therapist", "modality"),
        label=_("Service"),
    )
    starts_at = forms.CharField(label=_("Time"), required=False, widget=forms.RadioSelect)
    clearance_acknowledged = forms.BooleanField(
        label=_("The client has read the clearance warning and will see their doctor first"),
        required=False,
    )

    def __init__(self, *args: Any, slots: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].widget.choices = slots or []

    def clean_starts_at(self) -> dt.datetime | None:
        value = self.cleaned_data.get("starts_at")
        if not value:
            return None
        moment = parse_slot(value)
        if moment is None:
            raise forms.ValidationError(_("Choose one of the free times."))
        return moment


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, shown to the client"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClearanceForm(forms.Form):
    note = forms.CharField(
        label=_("What you saw: who cleared the client, and when"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MoveForm(forms.Form):
    """A new time for one visit, chosen among the free times listed on the page."""

    starts_at = forms.CharField(
        label=_("New time"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the free times.")},
    )
    for_client = forms.BooleanField(
        label=_("The client asked for this change (the online cut-off applies)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, slots: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].widget.choices = slots or []

    def clean_starts_at(self) -> dt.datetime:
        moment = parse_slot(self.cleaned_data.get("starts_at"))
        if moment is None:
            raise forms.ValidationError(_("Choose one of the free times."))
        return moment
