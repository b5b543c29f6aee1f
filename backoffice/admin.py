"""The audit log in the admin: read-only, for staff to see who exported or erased whom."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backoffice.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor_email", "subject_type", "subject_id")
    list_filter = ("action", ("at", admin.DateFieldListFilter))
    search_fields = ("=subject_id", "actor_email")
    show_full_result_count = False
    fields = ("at", "action", "actor", "actor_email", "subject_type", "subject_id", "detail")
    readonly_fields = fields
    raw_id_fields = ("actor",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
