"""The therapists admin's "suspend" action. It is added here, to the registered therapist admin,
because choosing to cancel the suspended therapist's visits needs booking's services, which the
therapists app may not import (as payments adds its inline to the booking admin)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.http import request_user
from backoffice.suspension import therapist_suspend_with_visits
from booking.models import Booking
from therapists.models import TherapistProfile

KEEP, CANCEL = "keep", "cancel"


class SuspendForm(forms.Form):
    visits = forms.ChoiceField(
        label=_("Their visits already booked"),
        choices=[
            (KEEP, _("Keep them: the therapist still does these visits")),
            (CANCEL, _("Cancel them: each client is e-mailed the reason below")),
        ],
        widget=forms.RadioSelect,
        initial=KEEP,
    )
    reason = forms.CharField(
        label=_("Reason, shown to the clients"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("visits") == CANCEL and not (data.get("reason") or "").strip():
            self.add_error(
                "reason", _("Say why: the reason is in the e-mail each client receives.")
            )
        return data


@admin.action(
    description=_("Suspend the selected therapists (hide them, no new bookings)"),
    permissions=["change"],
)
def suspend(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[TherapistProfile]
) -> HttpResponse | None:
    form = SuspendForm(request.POST if "confirmed" in request.POST else None)
    if not form.is_valid():
        now = timezone.now()
        therapists = queryset.annotate(
            future_visits=Count(
                "bookings",
                filter=Q(bookings__status__in=Booking.ACTIVE_STATUSES, bookings__starts_at__gt=now),
            )
        )
        return TemplateResponse(
            request,
            "admin/therapists/suspend.html",
            {
                **modeladmin.admin_site.each_context(request),
                "opts": modeladmin.model._meta,
                "title": _("Suspend therapists"),
                "therapists": list(therapists),
                "form": form,
            },
        )
    actor = request_user(request)
    suspended = cancelled = kept = 0
    for profile in queryset:
        try:
            outcome = therapist_suspend_with_visits(
                profile=profile,
                actor=actor,
                cancel_visits=form.cleaned_data["visits"] == CANCEL,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:  # the form checks the reason first; kept as a backstop
            modeladmin.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return None
        if not outcome.suspended:
            # Suspending again is how staff cancel the visits they first chose to keep.
            already = profile.approval == TherapistProfile.Approval.SUSPENDED
            modeladmin.message_user(
                request,
                (
                    _("%(name)s was already suspended.")
                    if already
                    else _("%(name)s was not approved: nothing to suspend.")
                )
                % {"name": profile},
                messages.INFO if already else messages.WARNING,
            )
        suspended += outcome.suspended
        cancelled += len(outcome.cancelled)
        kept += outcome.kept
        for booking, why in outcome.refused:
            modeladmin.message_user(request, f"{booking}: {why}", messages.WARNING)
    if suspended:
        modeladmin.message_user(
            request,
            ngettext(
                "%(n)d therapist suspended: hidden from clients, no new bookings.",
                "%(n)d therapists suspended: hidden from clients, no new bookings.",
                suspended,
            )
            % {"n": suspended},
            messages.SUCCESS,
        )
    if cancelled:
        modeladmin.message_user(
            request,
            ngettext(
                "%(n)d visit cancelled; the client is e-mailed.",
                "%(n)d visits cancelled; the clients are e-mailed.",
                cancelled,
            )
            % {"n": cancelled},
            messages.SUCCESS,
        )
    if kept:
        modeladmin.message_user(
            request,
            ngettext("%(n)d booked visit kept.", "%(n)d booked visits kept.", kept) % {"n": kept},
        )
    return None


def add_suspend_action() -> None:
    therapist_admin = admin.site.get_model_admin(TherapistProfile)
    actions = list(therapist_admin.actions or [])
    if suspend not in actions:
        therapist_admin.actions = [*actions, suspend]  # on the instance
