"""Admin for aftercare: failed reminders are one filter away and one action from a retry;
feedback comments wait here for moderation. Lists avoid COUNT(*) on big tables and search by
the client's e-mail or name."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.http import request_user
from booking.models import Booking
from clients.models import IntakeAccessLog
from clients.permissions import staff_may_see_health_data
from clients.services import health_view_record

from . import selectors, services
from .models import BookingSeries, Feedback, Reminder, SeriesVisit, SessionNote

CLIENT_SEARCH = (
    "client__user__email",
    "client__user__first_name",
    "client__user__last_name",
    "=booking__id",
)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "client",
        "status",
        "skip_reason",
        "due_at",
        "sent_at",
        "attempts",
        "short_error",
    )
    list_filter = ("status", "kind", "skip_reason", ("due_at", admin.DateFieldListFilter))
    search_fields = CLIENT_SEARCH
    list_select_related = ("client__user",)
    raw_id_fields = ("client", "booking")
    # No date_hierarchy: at size its SELECT DISTINCT over every row costs seconds (docs/admin.md).
    ordering = ("-due_at",)
    show_full_result_count = False
    actions = ("retry_failed", "cancel_reminders")
    # Read-only: a reminder's timing has one writer (aftercare.services and the dispatcher's
    # back-off) and its text is the copy the client received. Staff act through the actions.
    readonly_fields = (
        "client",
        "booking",
        "kind",
        "subject",
        "body",
        "due_at",
        "stale_after",
        "next_attempt_at",
        "status",
        "skip_reason",
        "attempts",
        "last_error",
        "claimed_at",
        "sent_by",
        "sent_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("client", "booking", "kind", "subject", "body")}),
        (_("Timing"), {"fields": ("due_at", "stale_after", "next_attempt_at")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "status",
                    "skip_reason",
                    "attempts",
                    "last_error",
                    "sent_at",
                    "sent_by",
                    "claimed_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("last error"))
    def short_error(self, obj: Reminder) -> str:
        return (obj.last_error[:60] + "…") if len(obj.last_error) > 60 else obj.last_error

    @admin.action(description=_("Retry the selected failed reminders"), permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        count = sum(services.reminder_retry(reminder=r) for r in queryset)
        self.message_user(
            request,
            ngettext(
                "%(n)d reminder will be sent at the next dispatch.",
                "%(n)d reminders will be sent at the next dispatch.",
                count,
            )
            % {"n": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(
        description=_("Cancel the selected reminders (not yet sent)"), permissions=["change"]
    )
    def cancel_reminders(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        count = sum(services.reminder_cancel(reminder=r) for r in queryset)
        self.message_user(
            request,
            ngettext("%(n)d reminder cancelled.", "%(n)d reminders cancelled.", count)
            % {"n": count},
        )


class _HealthDataAdmin(admin.ModelAdmin):
    """Notes and feedback are health data: staff need the intake permission and two-factor
    authentication to see them (the staff part of booking.privacy's rule), every look at one
    is logged like any other, and they are the therapist's and the client's words: read-only."""

    health_record = ""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and staff_may_see_health_data(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                health_view_record(
                    client=obj.client,
                    viewer=request_user(request),
                    record=self.health_record,
                    context="admin",
                )
        return response


@admin.register(SessionNote)
class SessionNoteAdmin(_HealthDataAdmin):
    health_record = IntakeAccessLog.Record.NOTES
    list_display = (
        "booking",
        "client",
        "therapist",
        "pressure_used",
        "follow_up_days",
        "created_at",
    )
    list_filter = ("therapist", ("created_at", admin.DateFieldListFilter))
    search_fields = (*CLIENT_SEARCH, "therapist__display_name")
    list_select_related = (
        "client__user",
        "therapist",
        "booking__service__modality",
        "booking__client__user",
    )
    raw_id_fields = ("booking", "client", "therapist")
    # No date_hierarchy: at size its SELECT DISTINCT over every row costs seconds (docs/admin.md).
    show_full_result_count = False
    ordering = ("-pk",)  # newest first, read from the primary key's index


class FollowUpFilter(admin.SimpleListFilter):
    """Feedback that alerted the therapist (soreness 7+ anywhere, or the pressure too deep):
    still to follow up, or done."""

    title = _("follow-up")
    parameter_name = "follow_up"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("waiting", _("Sore client, not followed up")), ("done", _("Followed up"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "waiting":
            return queryset.filter(therapist_alerted_at__isnull=False, followed_up_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(followed_up_at__isnull=False)
        return queryset


@admin.register(Feedback)
class FeedbackAdmin(_HealthDataAdmin):
    health_record = IntakeAccessLog.Record.FEEDBACK
    list_display = (
        "booking",
        "therapist",
        "client",
        "rating",
        "soreness",
        "pressure",
        "comment_status",
        "short_comment",
        "followed_up_at",
        "created_at",
    )
    list_filter = (
        FollowUpFilter,
        "comment_status",
        "pressure",
        "rating",
        "therapist",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = (*CLIENT_SEARCH, "therapist__display_name", "comment")
    list_select_related = (
        "client__user",
        "therapist",
        "booking__service__modality",
        "booking__client__user",
    )
    raw_id_fields = ("booking", "client", "therapist")
    # No date_hierarchy: at size its SELECT DISTINCT over every row costs seconds (docs/admin.md).
    show_full_result_count = False
    ordering = ("-pk",)  # newest first, read from the primary key's index
    actions = ("approve_comments", "reject_comments", "record_follow_up")

    def has_follow_up_permission(self, request: HttpRequest) -> bool:
        # Following up and moderating comments: reading the feedback (health data) and the
        # right to change feedback rows (the rows themselves are read-only here).
        return self.has_view_permission(request) and request.user.has_perm(
            "aftercare.change_feedback"
        )

    @admin.action(
        description=_("Record that we got back to these clients"), permissions=["follow_up"]
    )
    def record_follow_up(self, request: HttpRequest, queryset: QuerySet[Feedback]) -> None:
        actor = request_user(request)
        count = sum(services.feedback_follow_up_record(feedback=f, actor=actor) for f in queryset)
        self.message_user(
            request,
            ngettext("%(n)d follow-up recorded.", "%(n)d follow-ups recorded.", count)
            % {"n": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.display(description=_("comment"))
    def short_comment(self, obj: Feedback) -> str:
        return (obj.comment[:80] + "…") if len(obj.comment) > 80 else obj.comment

    @admin.action(
        description=_("Approve the comments: show them on the therapist's profile"),
        permissions=["follow_up"],
    )
    def approve_comments(self, request: HttpRequest, queryset: QuerySet[Feedback]) -> None:
        for feedback in queryset:
            services.feedback_comment_moderate(feedback=feedback, approve=True)
        self.message_user(request, _("Comments approved."))

    @admin.action(description=_("Reject the comments: never show them"), permissions=["follow_up"])
    def reject_comments(self, request: HttpRequest, queryset: QuerySet[Feedback]) -> None:
        for feedback in queryset:
            services.feedback_comment_moderate(feedback=feedback, approve=False)
        self.message_user(request, _("Comments rejected."))


class SeriesVisitInline(admin.TabularInline):
    model = SeriesVisit
    raw_id_fields = ("booking",)
    extra = 0


@admin.register(BookingSeries)
class BookingSeriesAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "client",
        "therapist",
        "service",
        "interval_weeks",
        "visit_count",
        "created_at",
        "cancelled_at",
    )
    search_fields = (*CLIENT_SEARCH[:3], "therapist__display_name")
    list_select_related = ("client__user", "therapist", "service__modality")
    raw_id_fields = ("client", "therapist", "service")
    inlines = (SeriesVisitInline,)


class WaitingForNotesFilter(admin.SimpleListFilter):
    """On the bookings list: visits of the last month that have ended without session notes
    (the same visits the therapist sees listed, ``aftercare.selectors.waiting_for_notes``)."""

    title = _("session notes")
    parameter_name = "notes"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("waiting", _("Ended, no notes yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "waiting":
            return queryset.filter(selectors.waiting_for_notes())
        return queryset


# Aftercare adds its filter to the registered booking admin: booking's admin knows nothing of
# session notes (as with payments' inline).
def _add_filter_to_booking_admin() -> None:
    booking_admin = admin.site.get_model_admin(Booking)
    if WaitingForNotesFilter not in booking_admin.list_filter:
        booking_admin.list_filter = (  # type: ignore[misc]  # on the instance, as payments does
            *booking_admin.list_filter,
            WaitingForNotesFilter,
        )


_add_filter_to_booking_admin()
