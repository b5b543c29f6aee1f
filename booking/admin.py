"""Bookings in the admin: find, read, and cancel. Times and statuses are read-only here on
purpose: every change goes through ``booking.services`` so that the slot checks, the history
and the e-mails happen (and on PostgreSQL the exclusion constraint would refuse a hand-edited
overlap anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking.models import Booking, BookingEvent
from booking.services import BookingChangeRefused, booking_cancel


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    ordering = ("at", "pk")
    fields = (
        "at",
        "action",
        "actor",
        "from_status",
        "to_status",
        "from_starts_at",
        "to_starts_at",
        "note",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "client_name", "therapist", "service", "status", "price")
    list_filter = ("status", "therapist", ("starts_at", admin.DateFieldListFilter))
    search_fields = (
        "client__user__email",
        "client__user__first_name",
        "client__user__last_name",
        "therapist__display_name",
        "therapist__user__email",
    )
    date_hierarchy = "starts_at"
    list_select_related = ("client__user", "therapist", "service__modality")
    inlines = [BookingEventInline]
    actions = ["cancel_bookings"]
    readonly_fields = (
        "client",
        "therapist",
        "service",
        "intake",
        "starts_at",
        "ends_at",
        "status",
        "status_reason",
        "price",
        "address",
        "latitude",
        "longitude",
        "access_notes",
        "clearance_acknowledged",
        "expires_at",
        "sequence",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("status", "status_reason", "starts_at", "ends_at", "expires_at")}),
        (_("Who and what"), {"fields": ("client", "therapist", "service", "price", "intake")}),
        (
            _("Where"),
            {"fields": ("address", "access_notes", "latitude", "longitude")},
        ),
        (
            _("Record"),
            {"fields": ("clearance_acknowledged", "sequence", "created_at", "updated_at")},
        ),
    )

    @admin.display(description=_("client"), ordering="client__user__email")
    def client_name(self, obj: Booking) -> str:
        user = obj.client.user
        return f"{user.get_full_name()} <{user.email}>" if user.get_full_name() else user.email

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New bookings go through the booking flow, which checks the slot.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Bookings are records (and aftercare, notes and intakes point at them): cancel instead.
        return False

    @admin.action(description=_("Cancel the selected bookings (the clients are e-mailed)"))
    def cancel_bookings(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        cancelled = 0
        for booking in queryset.select_related("client__user", "therapist"):
            try:
                booking_cancel(
                    booking=booking,
                    actor=request.user,  # type: ignore[arg-type]
                    reason=str(_("Cancelled by HomeKnots staff.")),
                )
            except BookingChangeRefused as exc:
                self.message_user(request, f"{booking}: {exc}", messages.WARNING)
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext("Cancelled %d booking.", "Cancelled %d bookings.", cancelled) % cancelled,
                messages.SUCCESS,
            )
