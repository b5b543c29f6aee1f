from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models import ClientProfile, Intake
from core.geo import Point, point_or_none
from core.timefmt import format_datetime, with_zone
from therapists.models import Service, TherapistProfile


class Booking(models.Model):
    """A home visit. ``starts_at``/``ends_at`` are UTC instants; active bookings of one
    therapist never overlap (a lock in booking_create, and on PostgreSQL an exclusion
    constraint added by migration)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the therapist")
        AWAITING_CLEARANCE = "awaiting_clearance", _("Waiting for medical clearance")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")

    # A booking in one of these holds its time on the therapist's calendar.
    ACTIVE_STATUSES = (Status.PENDING, Status.AWAITING_CLEARANCE, Status.CONFIRMED)
    # Waiting for an answer: the therapist's, or the doctor's clearance.
    UNANSWERED_STATUSES = (Status.PENDING, Status.AWAITING_CLEARANCE)

    client = models.ForeignKey(ClientProfile, on_delete=models.PROTECT, related_name="bookings")
    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.PROTECT, related_name="bookings"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    intake = models.ForeignKey(
        Intake,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        help_text=_("The intake version that was current when the booking was made."),
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # Snapshots: what was agreed when booking, kept even if the profile changes later.
    price = models.DecimalField(_("price"), max_digits=8, decimal_places=2)
    address = models.CharField(_("address"), max_length=400)
    # Where the visit is, for travel time between visits (copied from the client's profile).
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    access_notes = models.TextField(_("access notes"), blank=True)
    # The client's screening needs a doctor's clearance: the client acknowledged it when booking;
    # the therapist records that they saw it (who, when, what) before the visit is confirmed.
    clearance_acknowledged = models.BooleanField(default=False)
    clearance_recorded_at = models.DateTimeField(_("clearance seen at"), null=True, blank=True)
    clearance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("clearance seen by"),
    )
    clearance_note = models.CharField(_("clearance note"), max_length=500, blank=True)
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Pending bookings hold their slot until the therapist answers or this passes.
    expires_at = models.DateTimeField(null=True, blank=True)
    # iCalendar SEQUENCE: bumped on every change so calendars update the same event.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [models.Index(fields=["therapist", "starts_at"], name="booking_therapist_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="booking_end_after_start",
            )
        ]

    def __str__(self) -> str:
        when = with_zone(format_datetime(self.starts_at, year=True), None)
        return f"{self.service} for {self.client}, {when}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def point(self) -> Point | None:
        return point_or_none(self.latitude, self.longitude)

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def ical_uid(self) -> str:
        return f"booking-{self.pk}@homeknots"


class BookingEvent(models.Model):
    """Every change to a booking: who, when, from what to what."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    from_starts_at = models.DateTimeField(null=True, blank=True)
    to_starts_at = models.DateTimeField(null=True, blank=True)
    # The booking's calendar SEQUENCE after this change: the e-mail about it carries it.
    sequence = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        when = with_zone(format_datetime(self.at, year=True), None)
        return f"{self.action} {self.from_status}→{self.to_status}, {when}"
