"""Bookings in the admin: find (by the client's name, e-mail, phone or postcode), read with
its history, book for a client, confirm, record a clearance, move to another free time, cancel,
and close a visit (completed or no-show). Times and statuses are read-only here on purpose:
every change goes through ``booking.services``, the same functions the site calls, so every
booking rule, the history and the e-mails happen (and on PostgreSQL the exclusion constraint
would refuse a hand-edited overlap anyway). A refusal is shown as an admin message or form
error, never a server error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.http import request_user
from accounts.models import User
from booking.admin_forms import BookForClientForm, CancelForm, ClearanceForm, MoveForm
from booking.models import Booking, BookingEvent
from booking.selectors import available_slots
from booking.services import (
    BookingRefused,
    booking_cancel,
    booking_complete,
    booking_confirm,
    booking_create,
    booking_mark_no_show,
    booking_record_clearance,
    booking_reschedule,
)
from core.timefmt import format_date, local_label


def parse_date_or_none(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


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
    list_filter = (
        "status",
        "therapist",
        "service__modality",
        ("starts_at", admin.DateFieldListFilter),
    )
    search_fields = (
        "client__user__email",
        "client__user__first_name",
        "client__user__last_name",
        "client__phone",
        "client__postcode",
        "therapist__display_name",
        "therapist__user__email",
    )
    search_help_text = _("The client's name, e-mail, phone or postcode, or the therapist's name.")
    # No date_hierarchy: at size its SELECT DISTINCT over every row costs seconds (docs/admin.md).
    show_full_result_count = False
    list_select_related = ("client__user", "therapist", "service__modality")
    inlines = [BookingEventInline]
    actions = [
        "confirm",
        "record_clearance",
        "move",
        "cancel_for_client",
        "cancel_for_business",
        "mark_completed",
        "mark_no_show",
    ]
    readonly_fields = (
        "move_link",
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
        (
            None,
            {
                "fields": (
                    "status",
                    "status_reason",
                    "starts_at",
                    "ends_at",
                    "move_link",
                    "expires_at",
                )
            },
        ),
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

    @admin.display(description=_("move"))
    def move_link(self, obj: Booking) -> str:
        if not obj.pk or not obj.is_active:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:booking_booking_move", args=[obj.pk]),
            _("Move to another free time"),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Bookings are records (and aftercare, notes and intakes point at them): cancel instead.
        return False

    # --- Book for a client: the admin's "add" page, through booking_create ----------------------

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BookForClientForm(request.POST or None)
        slots: list[tuple[str, str]] = []
        if request.method == "POST" and form.is_valid():
            client, service = form.cleaned_data["client"], form.cleaned_data["service"]
            slots = self._free_times(client=client, service=service)
            # Bound again with the free times, so the choice list shows and keeps the choice.
            form = BookForClientForm(request.POST, slots=slots)
            if form.is_valid() and "_book" in request.POST:
                starts_at = form.cleaned_data["starts_at"]
                if starts_at is None:
                    form.add_error("starts_at", _("Choose one of the free times."))
                else:
                    try:
                        booking = booking_create(
                            client=client,
                            therapist=service.therapist,
                            service=service,
                            starts_at=starts_at,
                            actor=request_user(request),
                            clearance_acknowledged=form.cleaned_data["clearance_acknowledged"],
                        )
                    except BookingRefused as exc:
                        form.add_error(None, str(exc))
                    else:
                        self.message_user(
                            request, _("Booked; the client and the therapist are e-mailed.")
                        )
                        return HttpResponseRedirect(
                            reverse("admin:booking_booking_change", args=[booking.pk])
                        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Book a visit for a client"),
            "form": form,
            "no_slots": request.method == "POST" and form.is_bound and not slots,
        }
        return TemplateResponse(request, "admin/booking/book_for_client.html", context)

    def _free_times(self, *, client: Any, service: Any) -> list[tuple[str, str]]:
        therapist = service.therapist
        today = timezone.localtime(timezone.now(), therapist.tz).date()
        slots = available_slots(
            therapist=therapist, service=service, start_date=today, days=14, client=client
        )
        return [(s.astimezone(dt.UTC).isoformat(), local_label(s, therapist)) for s in slots[:40]]

    # --- Cancel, with a reason, for the client or for the business --------------------------------

    def _cancel(
        self, request: HttpRequest, queryset: QuerySet[Booking], *, action: str, for_client: bool
    ) -> HttpResponse | None:
        form = CancelForm(request.POST if "confirmed" in request.POST else None)
        if not form.is_valid():
            explanation = (
                _("The client asked to cancel: the online cut-off applies, as on the site.")
                if for_client
                else _("Cancelled by us or the therapist: no cut-off; the client is told why.")
            )
            return TemplateResponse(
                request,
                "admin/booking/cancel.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("Cancel visits"),
                    "bookings": list(queryset.select_related("client__user", "service")),
                    "form": form,
                    "action": action,
                    "explanation": explanation,
                },
            )
        cancelled = 0
        for booking in queryset.select_related("client__user", "therapist__user"):
            try:
                booking_cancel(
                    booking=booking,
                    actor=request_user(request),
                    reason=form.cleaned_data["reason"],
                    for_client=for_client,
                )
            except BookingRefused as exc:
                self.message_user(request, f"{booking}: {exc}", messages.WARNING)
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext("Cancelled %d booking.", "Cancelled %d bookings.", cancelled) % cancelled,
                messages.SUCCESS,
            )
        return None

    @admin.action(
        description=_("Cancel at the client's request (the cut-off applies)"),
        permissions=["change"],
    )
    def cancel_for_client(
        self, request: HttpRequest, queryset: QuerySet[Booking]
    ) -> HttpResponse | None:
        return self._cancel(request, queryset, action="cancel_for_client", for_client=True)

    @admin.action(
        description=_("Cancel for the business (the clients are e-mailed)"), permissions=["change"]
    )
    def cancel_for_business(
        self, request: HttpRequest, queryset: QuerySet[Booking]
    ) -> HttpResponse | None:
        return self._cancel(request, queryset, action="cancel_for_business", for_client=False)

    # --- Confirm, record clearance, close a visit: one service call per selected booking --------

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Booking],
        change: Callable[[Booking, User], object],
        done: Callable[[int], str],
    ) -> None:
        """Call ``change`` for each booking; a refusal names the booking and says why, the
        others still go ahead."""
        actor = request_user(request)
        count = 0
        for booking in queryset.select_related("client__user", "therapist__user", "service"):
            try:
                change(booking, actor)
            except BookingRefused as exc:
                self.message_user(request, f"{booking}: {exc}", messages.WARNING)
            else:
                count += 1
        if count:
            self.message_user(request, done(count), messages.SUCCESS)

    @admin.action(description=_("Confirm the selected requests"), permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._each(
            request,
            queryset,
            lambda booking, actor: booking_confirm(booking=booking, actor=actor),
            lambda n: ngettext("Confirmed %d visit.", "Confirmed %d visits.", n) % n,
        )

    @admin.action(description=_("Mark the selected visits completed"), permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._each(
            request,
            queryset,
            lambda booking, actor: booking_complete(booking=booking, actor=actor),
            lambda n: ngettext("Marked %d visit completed.", "Marked %d visits completed.", n) % n,
        )

    @admin.action(description=_("Mark the selected visits as no-shows"), permissions=["change"])
    def mark_no_show(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._each(
            request,
            queryset,
            lambda booking, actor: booking_mark_no_show(booking=booking, actor=actor),
            lambda n: ngettext("Marked %d no-show.", "Marked %d no-shows.", n) % n,
        )

    @admin.action(
        description=_("Record the doctor's clearance (confirms the visits)"),
        permissions=["change"],
    )
    def record_clearance(
        self, request: HttpRequest, queryset: QuerySet[Booking]
    ) -> HttpResponse | None:
        form = ClearanceForm(request.POST if "confirmed" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/booking/clearance.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("Record the doctor's clearance"),
                    "bookings": list(queryset.select_related("client__user", "service")),
                    "form": form,
                    "action": "record_clearance",
                },
            )
        note = form.cleaned_data["note"]
        self._each(
            request,
            queryset,
            lambda booking, actor: booking_record_clearance(
                booking=booking, actor=actor, note=note
            ),
            lambda n: (
                ngettext(
                    "Clearance recorded; %d visit confirmed.",
                    "Clearance recorded; %d visits confirmed.",
                    n,
                )
                % n
            ),
        )
        return None

    # --- Move one visit to another free time -------------------------------------------------

    @admin.action(description=_("Move to another free time (one visit)"), permissions=["change"])
    def move(self, request: HttpRequest, queryset: QuerySet[Booking]) -> HttpResponse | None:
        ids = list(queryset.values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            self.message_user(request, _("Choose one visit to move."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:booking_booking_move", args=[ids[0]]))

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name="booking_booking_move",
            )
        ]
        return own + super().get_urls()

    def _move_days(self, booking: Booking) -> dict[dt.date, list[dt.datetime]]:
        """The real free times for this visit over the next two weeks, by day in the
        therapist's zone: the selector the site uses, for this client, with this visit's own
        time not blocking its new one."""
        therapist = booking.therapist
        today = timezone.localtime(timezone.now(), therapist.tz).date()
        slots = available_slots(
            therapist=therapist,
            service=booking.service,
            start_date=today,
            days=14,
            client=booking.client,
            exclude_booking=booking,
        )
        days: dict[dt.date, list[dt.datetime]] = {}
        for slot in slots:
            if slot != booking.starts_at:
                days.setdefault(timezone.localtime(slot, therapist.tz).date(), []).append(slot)
        return days

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        booking = self.get_object(request, object_id)
        if booking is None:
            raise Http404(_("No such booking."))
        if not self.has_change_permission(request, booking):
            raise PermissionDenied
        change_url = reverse("admin:booking_booking_change", args=[booking.pk])
        if not booking.is_active:
            self.message_user(request, _("This visit can no longer be moved."), messages.WARNING)
            return HttpResponseRedirect(change_url)
        therapist = booking.therapist
        days = self._move_days(booking)
        # The day shown: the one asked for, else the visit's own day, else the first free one.
        asked = parse_date_or_none(request.POST.get("day") or request.GET.get("day"))
        current_day = timezone.localtime(booking.starts_at, therapist.tz).date()
        day = next((d for d in (asked, current_day) if d in days), next(iter(days), None))
        shown = days.get(day, []) if day is not None else []
        choices = [(s.astimezone(dt.UTC).isoformat(), local_label(s, therapist)) for s in shown]
        form = MoveForm(request.POST or None, slots=choices)
        if request.method == "POST" and form.is_valid():
            try:
                booking_reschedule(
                    booking=booking,
                    actor=request_user(request),
                    starts_at=form.cleaned_data["starts_at"],
                    for_client=form.cleaned_data["for_client"],
                )
            except BookingRefused as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    _("Moved; the client and the therapist are e-mailed."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Move a visit"),
            "booking": booking,
            "current": local_label(booking.starts_at, therapist),
            "form": form,
            "day": day,
            "days": [(d, format_date(d), len(times)) for d, times in days.items()],
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/booking/move.html", context)
