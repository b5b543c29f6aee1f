from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
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


@admin.register(ClientProfile)
class ClientProfileAdmin(SafeModelAdmin):
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
    readonly_fields = ("created_at", "updated_at")
    autocomplete_fields = ("user",)
    fieldsets = (
        (None, {"fields": ("user", "phone")}),
        (
            _("Home address"),
            {"fields": ("street", "city", "postcode", "latitude", "longitude", "access_notes")},
        ),
        (_("Emergency contact"), {"fields": ("emergency_contact_name", "emergency_contact_phone")}),
        (_("Preferences"), {"fields": ("email_reminders", "time_zone")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

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
    list_display = (
        "client",
        "version",
        "created_at",
        "pressure",
        "discomfort_ceiling",
        "never_had_massage",
        "has_screening",
    )
    list_filter = ("pressure", "never_had_massage", "created_at")
    search_fields = ("client__user__email", "client__user__first_name", "client__user__last_name")
    list_select_related = ("client__user",)
    date_hierarchy = "created_at"
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

    @admin.display(description=_("screening"), boolean=True)
    def has_screening(self, obj: Intake) -> bool:
        return bool(obj.screening)

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
    list_select_related = ("viewer", "client__user", "intake")
    date_hierarchy = "viewed_at"
    show_full_result_count = False
    fields = ("viewed_at", "viewer", "client", "record", "intake", "context")
    readonly_fields = fields
