"""The outbox in the admin: find an e-mail, see whether and when it went, retry a failed one.
Read-only: what an e-mail says is built from its facts when it is sent; a message rendered by
allauth (which may hold a password-reset link) shows only its subject."""

from __future__ import annotations

from typing import Any

from celery.schedules import ParseException, crontab
from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_celery_beat.admin import CrontabScheduleAdmin
from django_celery_beat.models import CrontabSchedule

from core.models import Email


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "to", "status", "subject", "sent_at", "attempts")
    list_filter = ("status", "kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("to", "subject", "=key")
    # No date_hierarchy: at size its SELECT DISTINCT over every row costs seconds (docs/admin.md).
    ordering = ("-pk",)  # newest first, read from the primary key's index
    show_full_result_count = False
    actions = ("retry",)
    fields = (
        "kind",
        "to",
        "subject",
        "key",
        "status",
        "due_at",
        "next_attempt_at",
        "attempts",
        "last_error",
        "sent_at",
        "sent_by",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Email]) -> None:
        count = queryset.filter(status=Email.Status.FAILED).update(
            status=Email.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            updated_at=timezone.now(),
        )
        self.message_user(
            request,
            ngettext(
                "%(n)d e-mail will be sent at the next dispatch.",
                "%(n)d e-mails will be sent at the next dispatch.",
                count,
            )
            % {"n": count},
            messages.SUCCESS if count else messages.WARNING,
        )


class CrontabScheduleForm(forms.ModelForm):
    """django-celery-beat's own validators pass fields (a month of "-922") that celery's
    parser then refuses with an exception: parse the whole schedule here, as a form error."""

    class Meta:
        model = CrontabSchedule
        fields = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            crontab(
                minute=data.get("minute") or "*",
                hour=data.get("hour") or "*",
                day_of_week=data.get("day_of_week") or "*",
                day_of_month=data.get("day_of_month") or "*",
                month_of_year=data.get("month_of_year") or "*",
            )
        except (ParseException, ValueError) as exc:
            raise forms.ValidationError(
                _("That is not a valid schedule: %(error)s"), params={"error": exc}
            ) from exc
        return data


admin.site.unregister(CrontabSchedule)


@admin.register(CrontabSchedule)
class SafeCrontabScheduleAdmin(CrontabScheduleAdmin):
    form = CrontabScheduleForm
    list_display = ("__str__", "schedule_text")
    fields = (
        "schedule_text",
        "minute",
        "hour",
        "day_of_month",
        "month_of_year",
        "day_of_week",
        "timezone",
    )
    readonly_fields = ("schedule_text",)

    @admin.display(description=_("human readable"))
    def schedule_text(self, obj: CrontabSchedule) -> str:
        # Shown again with a refused form, the half-filled schedule must not raise either.
        try:
            return str(obj.human_readable)
        except (ParseException, ValueError, TypeError):
            return "—"
