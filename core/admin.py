"""The outbox in the admin: find an e-mail, see whether and when it went, retry a failed one.
Read-only: what an e-mail says is built from its facts when it is sent; a message rendered by
allauth (which may hold a password-reset link) shows only its subject."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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
