from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.http import request_user
from clients.body import region_label
from clients.models import ClientProfile, Intake, IntakeAccessLog, PainArea
from clients.permissions import staff_may_see_health_data
from clients.services import intake_view_record
from core.inputs import SafeModelAdmin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class _ReadOnlyMixin:
    """Health records are written by the client only; staff can read them, never change them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The model's "view" permission, and the staff part of the health-data rule: the
        # intake permission and two-factor authentication.
        return bool(
            super().has_view_permission(request, obj)  # type: ignore[misc]  # ModelAdmin's
            and staff_may_see_health_data(request.user)
        )


class IntakeVersionInline(_ReadOnlyMixin, admin.TabularInline):
    """The intake's versions, newest first, each a link to the (logged) intake page: the list
    itself shows no health data."""

    model = Intake
    extra = 0
    fields = ("version", "created_at", "open_link")
    readonly_fields = fields
    ordering = ("-version",)
    # The admin's own page (logged), not the site's intake page: no "view on site" link.
    view_on_site = False
    verbose_name = _("intake version")
    verbose_name_plural = _("intake versions (open one to read it; that view is logged)")

    @admin.display(description=_("intake"))
    def open_link(self, obj: Intake) -> str:
        url = reverse("admin:clients_intake_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))


class AccessLogInline(_ReadOnlyMixin, admin.TabularInline):
    """Who looked at this client's health data, newest first."""

    model = IntakeAccessLog
    extra = 0
    fields = ("viewed_at", "viewer", "record", "intake", "context")
    readonly_fields = fields
    ordering = ("-viewed_at",)
    verbose_name_plural = _("health data access log")

    def get_queryset(self, request: HttpRequest) -> QuerySet[IntakeAccessLog]:
        return super().get_queryset(request).select_related("viewer", "intake__client__user")


@admin.register(ClientProfile)
class ClientProfileAdmin(SafeModelAdmin):
    """Read-only: a client's profile is theirs to change (or erased through the back office's
    "Erase client", which keeps what the business must keep). Export and erasure are linked
    from the page (templates/admin/clients/clientprofile/change_form.html)."""

    list_display = ("__str__", "user_email", "city", "postcode", "email_reminders", "created_at")
    list_filter = ("email_reminders", "city", "time_zone")
    search_fields = (
        "user__email",
        "user__first_name",
        "user__last_name",
        "phone",
        "street",
        "postcode",
    )
    list_select_related = ("user",)
    show_full_result_count = False
    inlines = (IntakeVersionInline, AccessLogInline)
    fieldsets = (
        (None, {"fields": ("user", "phone")}),
        (
            _("Home address"),
            {"fields": ("street", "city", "postcode", "latitude", "longitude", "access_notes")},
        ),
        (_("Emergency contact"), {"fields": ("emergency_contact_name", "emergency_contact_phone")}),
        (_("Preferences"), {"fields": ("email_reminders", "email_offers", "time_zone")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = (
        "user",
        "phone",
        "street",
        "city",
        "postcode",
        "latitude",
        "longitude",
        "access_notes",
        "emergency_contact_name",
        "emergency_contact_phone",
        "email_reminders",
        "email_offers",
        "time_zone",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting would take the visits and payments the business must keep: erase instead.
        return False

    @admin.display(description=_("e-mail"), ordering="user__email")
    def user_email(self, obj: ClientProfile) -> str:
        return obj.user.email


class PainAreaInline(_ReadOnlyMixin, admin.TabularInline):
    model = PainArea
    extra = 0
    fields = ("region", "intensity", "travels_to")
    readonly_fields = fields

    @admin.display(description=_("pain travels to"))
    def travels_to(self, obj: PainArea) -> str:
        return ", ".join(region_label(s) for s in obj.refers_to) or "–"


@admin.register(Intake)
class IntakeAdmin(_ReadOnlyMixin, admin.ModelAdmin):
    # The list names whose intake it is, not what it says: health data is read only on the
    # intake's own page, which logs every look (docs/admin.md, "Roles").
    list_display = ("client", "version", "created_at")
    list_filter = ("created_at",)
    search_fields = ("client__user__email", "client__user__first_name", "client__user__last_name")
    list_select_related = ("client__user",)
    # No date_hierarchy: at size its SELECT DISTINCT over every row costs seconds (docs/admin.md).
    show_full_result_count = False
    inlines = (PainAreaInline,)
    readonly_fields = (
        "client",
        "version",
        "created_at",
        "what_brings_them",
        "goals",
        "pressure",
        "discomfort_ceiling",
        "last_massage_on",
        "never_had_massage",
        "screening_conditions",
        "medications",
        "other_notes",
        "consent_treatment",
        "consent_data",
        "consented_at",
    )
    fields = readonly_fields

    @admin.display(description=_("what brings them"))
    def what_brings_them(self, obj: Intake) -> str:
        return "; ".join(obj.reason_labels) or "–"

    @admin.display(description=_("health screening"))
    def screening_conditions(self, obj: Intake) -> StrOrPromise:
        return "; ".join(obj.screening_labels) or _("none of the listed conditions")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        # Every time staff open an intake, the access log says so (like any other viewer).
        if request.method == "GET" and response.status_code == 200:
            intake = self.get_object(request, object_id)
            if intake is not None:
                intake_view_record(intake=intake, viewer=request_user(request), context="admin")
        return response


@admin.register(IntakeAccessLog)
class IntakeAccessLogAdmin(_ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("viewed_at", "viewer", "client", "record", "intake", "context")
    list_filter = ("record", "viewed_at")
    search_fields = ("viewer__email", "client__user__email")
    list_select_related = ("viewer", "client__user", "intake__client__user")
    # No date_hierarchy: at size its SELECT DISTINCT over every row costs seconds (docs/admin.md).
    show_full_result_count = False
    fields = ("viewed_at", "viewer", "client", "record", "intake", "context")
    readonly_fields = fields
