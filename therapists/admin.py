from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.inputs import SafeImageField, SafeModelAdmin
from therapists.models import (
    DateOverride,
    Modality,
    Service,
    TherapistProfile,
    TimeOff,
    WeeklyHours,
)
from therapists.services import therapist_approve, therapist_reject


@admin.register(Modality)
class ModalityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "summary", "description"]
    # The slugs are a contract (CONTRACTS.md): staff edit the wording, not the slug.
    readonly_fields = ["slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["modality", "duration_minutes", "price", "name", "is_active"]


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 0
    ordering = ["weekday", "start_time"]


class DateOverrideInline(admin.TabularInline):
    model = DateOverride
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    ordering = ["-starts_at"]


@admin.register(TherapistProfile)
class TherapistProfileAdmin(SafeModelAdmin):
    # Staff uploads go through the same image check as the therapist's own (JPEG, PNG, WebP).
    formfield_overrides = {models.ImageField: {"form_class": SafeImageField}}
    list_display = [
        "display_name",
        "email",
        "approval",
        "licence_number",
        "postcode",
        "radius_km",
        "accepts_new_clients",
        "created_at",
    ]
    list_filter = ["approval", "modalities", "accepts_new_clients", "auto_confirm", "time_zone"]
    search_fields = ["display_name", "user__email", "user__last_name", "licence_number", "postcode"]
    list_select_related = ["user"]
    filter_horizontal = ["modalities"]
    readonly_fields = ["photo_preview", "working_week", "approved_at", "created_at", "updated_at"]
    autocomplete_fields = ["user"]
    prepopulated_fields = {"slug": ["display_name"]}
    actions = ["approve", "reject"]
    inlines = [ServiceInline, WeeklyHoursInline, DateOverrideInline, TimeOffInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "user",
                    "display_name",
                    "slug",
                    ("approval", "approved_at"),
                    "photo",
                    "photo_preview",
                    "bio",
                    ("years_of_practice", "licence_number"),
                    "modalities",
                    "languages",
                    "accepts_new_clients",
                ]
            },
        ),
        (
            _("Where they work"),
            {
                "description": _(
                    "Coordinates are filled from US ZIP codes automatically when the therapist "
                    "saves their profile. For other countries, type them here."
                ),
                "fields": [
                    "time_zone",
                    "postcode",
                    ("latitude", "longitude"),
                    "radius_km",
                    ("travel_speed_kmh", "min_travel_buffer_minutes"),
                    "travel_from_home_base",
                ],
            },
        ),
        (
            _("Bookings"),
            {"fields": ["working_week", "min_notice_hours", "max_visits_per_day", "auto_confirm"]},
        ),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description=_("e-mail"), ordering="user__email")
    def email(self, obj: TherapistProfile) -> str:
        return obj.user.email

    @admin.display(description=_("photo"))
    def photo_preview(self, obj: TherapistProfile) -> str:
        return format_html('<img src="{}" alt="" width="120" height="120">', obj.photo_url)

    @admin.display(description=_("working week"))
    def working_week(self, obj: TherapistProfile) -> str:
        """The weekly hours as one line a day, in the therapist's own time zone (edit them
        below, under "Weekly hours")."""
        if not obj.pk:
            return "–"
        by_day: dict[int, list[str]] = {day: [] for day in WeeklyHours.Weekday.values}
        for hours in obj.weekly_hours.order_by("weekday", "start_time"):
            by_day[hours.weekday].append(f"{hours.start_time:%H:%M}–{hours.end_time:%H:%M}")
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td></tr>',
            (
                (label, ", ".join(by_day[day]) or _("off"))
                for day, label in WeeklyHours.Weekday.choices
            ),
        )
        return format_html(
            '<table data-testid="working-week"><caption>{}</caption><tbody>{}</tbody></table>',
            _("Times in %(zone)s") % {"zone": obj.time_zone},
            rows,
        )

    @admin.action(description=_("Approve the selected therapists"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[TherapistProfile]) -> None:
        count = sum(1 for profile in queryset if therapist_approve(profile=profile))
        self.message_user(
            request,
            ngettext(
                "%(count)d therapist approved: clients can now find them.",
                "%(count)d therapists approved: clients can now find them.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Reject the selected therapists (hide from clients)"), permissions=["change"]
    )
    def reject(self, request: HttpRequest, queryset: QuerySet[TherapistProfile]) -> None:
        for profile in queryset:
            therapist_reject(profile=profile)
        self.message_user(request, _("Hidden from clients."), messages.WARNING)


@admin.register(Service)
class ServiceAdmin(SafeModelAdmin):
    list_display = ["__str__", "therapist", "modality", "duration_minutes", "price", "is_active"]
    list_filter = ["modality", "is_active", "duration_minutes"]
    search_fields = ["name", "therapist__display_name", "therapist__user__email"]
    list_select_related = ["therapist", "modality"]
    autocomplete_fields = ["therapist"]


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(SafeModelAdmin):
    list_display = ["therapist", "weekday", "start_time", "end_time"]
    list_filter = ["weekday"]
    search_fields = ["therapist__display_name", "therapist__user__email"]
    list_select_related = ["therapist"]
    autocomplete_fields = ["therapist"]


@admin.register(DateOverride)
class DateOverrideAdmin(SafeModelAdmin):
    list_display = ["therapist", "date", "start_time", "end_time"]
    list_filter = ["date"]
    date_hierarchy = "date"
    search_fields = ["therapist__display_name", "therapist__user__email"]
    list_select_related = ["therapist"]
    autocomplete_fields = ["therapist"]


@admin.register(TimeOff)
class TimeOffAdmin(SafeModelAdmin):
    list_display = ["therapist", "starts_at", "ends_at", "reason"]
    list_filter = ["starts_at"]
    date_hierarchy = "starts_at"
    search_fields = ["therapist__display_name", "therapist__user__email", "reason"]
    list_select_related = ["therapist"]
    autocomplete_fields = ["therapist"]
