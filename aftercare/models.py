"""Aftercare: what the therapist wrote after a visit, the reminders that follow it, the
client's feedback, and series of regular visits.

The reminders are rows, not delayed Celery tasks: each row says when it is due and what state
it is in, and the dispatcher (``aftercare.dispatch``) sends the due ones every minute. See
docs/aftercare.md for the plan, the timings and the exactly-once design.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from booking.models import Booking
from clients.body import region_label
from clients.models import ClientProfile, Intake
from core.models import Delivery
from core.timefmt import format_datetime, with_zone
from therapists.models import Service, TherapistProfile

FOLLOW_UP_DEFAULT_DAYS = 14
FOLLOW_UP_MIN_DAYS = 3
FOLLOW_UP_MAX_DAYS = 120


class SessionNote(models.Model):
    """The therapist's record of one visit. Written by that visit's therapist; read-only for
    later therapists of the same client and for staff; never shown to other clients."""

    booking = models.OneToOneField(
        Booking, on_delete=models.CASCADE, related_name="session_note", verbose_name=_("visit")
    )
    therapist = models.ForeignKey(
        TherapistProfile,
        on_delete=models.PROTECT,
        related_name="session_notes",
        verbose_name=_("written by"),
    )
    client = models.ForeignKey(
        ClientProfile, on_delete=models.CASCADE, related_name="session_notes"
    )
    treated_areas = models.JSONField(_("areas treated"), default=list, blank=True)
    trigger_points = models.TextField(
        _("trigger points found, and where their pain referred"), blank=True, max_length=2000
    )
    pressure_used = models.PositiveSmallIntegerField(
        _("pressure used (1–10)"),
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    client_response = models.TextField(_("how the client responded"), blank=True, max_length=2000)
    advice = models.TextField(_("advice given"), blank=True, max_length=2000)
    follow_up_days = models.PositiveSmallIntegerField(
        _("recommended follow-up (days)"),
        default=FOLLOW_UP_DEFAULT_DAYS,
        validators=[MinValueValidator(FOLLOW_UP_MIN_DAYS), MaxValueValidator(FOLLOW_UP_MAX_DAYS)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-booking__starts_at"]
        verbose_name = _("session note")
        verbose_name_plural = _("session notes")
        indexes = [models.Index(fields=["client", "-created_at"], name="sessionnote_client_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pressure_used__gte=1, pressure_used__lte=10),
                name="sessionnote_pressure_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    follow_up_days__gte=FOLLOW_UP_MIN_DAYS, follow_up_days__lte=FOLLOW_UP_MAX_DAYS
                ),
                name="sessionnote_follow_up_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Notes for booking {self.booking_id}"

    @property
    def treated_area_labels(self) -> list[str]:
        return [region_label(slug) for slug in self.treated_areas]


class Reminder(Delivery):
    """One message to send to a client at ``due_at`` (the contract: one row per reminder to
    send, with ``due_at``, ``status`` and ``sent_at``).

    The delivery columns and their life cycle come from :class:`core.models.Delivery`; the one
    dispatcher (``core.delivery``) sends these rows as it sends the outbox. What a reminder says
    is rendered once, when it is sent, by ``aftercare.messages.render_reminder``;
    ``subject`` and ``body`` keep the copy the client received (or would have, for one held
    back because e-mails are off), for their dashboard and for staff. Timing has one writer:
    ``aftercare.services`` (plan and day-before) and the dispatcher's back-off."""

    MESSAGE_ID_PREFIX = "reminder"

    class Kind(models.TextChoices):
        VISIT_TOMORROW = "visit_tomorrow", _("Visit tomorrow")
        WATER = "water", _("Drink water")
        NEXT_DAY = "next_day", _("The day after")
        CHECK_IN = "check_in", _("Check-in")
        FOLLOW_UP = "follow_up", _("Follow-up")

    class SkipReason(models.TextChoices):
        NONE = "", _("—")
        STALE = "stale", _("Too late to be useful")
        REMINDERS_OFF = "reminders_off", _("Client turned these e-mails off")
        ALREADY_BOOKED = "already_booked", _("Client already booked the next visit")

    # The kinds the aftercare plan creates for a completed visit, in the order they go out.
    PLAN_KINDS = (Kind.WATER, Kind.NEXT_DAY, Kind.CHECK_IN, Kind.FOLLOW_UP)
    # Safety: planned as soon as a visit is confirmed and sent after it unless the visit is
    # cancelled or marked a no-show, whatever the paperwork (docs/care-rules.md).
    AFTERCARE_SAFETY_KINDS = (Kind.WATER, Kind.NEXT_DAY, Kind.CHECK_IN)
    # Two kinds of consent: messages about a visit the client booked, and suggestions.
    SAFETY_KINDS = (Kind.VISIT_TOMORROW, *AFTERCARE_SAFETY_KINDS)
    OFFER_KINDS = (Kind.FOLLOW_UP,)

    client = models.ForeignKey(ClientProfile, on_delete=models.CASCADE, related_name="reminders")
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    skip_reason = models.CharField(
        _("why skipped"), max_length=20, choices=SkipReason.choices, blank=True, default=""
    )
    subject = models.CharField(_("subject (as sent)"), max_length=200, blank=True)
    body = models.TextField(_("text (as sent)"), blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [
            # The dispatcher's claim: pending rows whose next attempt is due, in order; ``id``
            # in the index lets ORDER BY ... LIMIT read it instead of sorting the pending set.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status="pending"),
                name="reminder_pending_due",
            ),
            models.Index(fields=["status", "claimed_at"], name="reminder_status_claimed"),
            models.Index(fields=["client", "-sent_at"], name="reminder_client_sent"),
            models.Index(fields=["status", "due_at"], name="reminder_status_due"),
        ]
        constraints = [
            # A plan created twice (or a day-before reminder scheduled twice) cannot duplicate.
            models.UniqueConstraint(
                fields=["booking", "kind"],
                condition=models.Q(booking__isnull=False),
                name="reminder_one_per_booking_kind",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="reminder_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        when = with_zone(format_datetime(self.due_at, year=True), None)
        return f"{self.get_kind_display()} for {self.client}, due {when}"


class Feedback(models.Model):
    """How the client felt after a visit. One per visit; the client may correct it."""

    class Pressure(models.TextChoices):
        TOO_LIGHT = "too_light", _("Too light")
        RIGHT = "right", _("About right")
        TOO_DEEP = "too_deep", _("Too deep")

    class Moderation(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Shown on the profile")
        REJECTED = "rejected", _("Not shown")

    class Suggestion(models.TextChoices):
        NONE = "", _("None")
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    # At or above this soreness (0–10) the therapist hears about it at once
    # (docs/care-rules.md: a very sore client should be heard by their therapist).
    HIGH_SORENESS = 7

    booking = models.OneToOneField(
        Booking, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("visit")
    )
    client = models.ForeignKey(ClientProfile, on_delete=models.CASCADE, related_name="feedback")
    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="feedback"
    )
    soreness = models.PositiveSmallIntegerField(
        _("soreness now (0–10)"), validators=[MaxValueValidator(10)]
    )
    area_soreness = models.JSONField(_("soreness per area"), default=dict, blank=True)
    pressure = models.CharField(_("the pressure was"), max_length=12, choices=Pressure.choices)
    rating = models.PositiveSmallIntegerField(
        _("rating (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("public comment"), blank=True, max_length=1000)
    comment_status = models.CharField(
        _("comment review"),
        max_length=10,
        choices=Moderation.choices,
        default=Moderation.PENDING,
        db_index=True,
    )
    message = models.TextField(
        _("anything else (for the therapist only)"), blank=True, max_length=2000
    )
    therapist_alerted_at = models.DateTimeField(null=True, blank=True)
    # Staff (or the practice) got back to a client whose feedback alerted the therapist: who,
    # when, and what was done. Until then the admin's overview lists it.
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("followed up by"),
    )
    follow_up_note = models.CharField(_("what was done"), max_length=500, blank=True)
    suggested_pressure = models.CharField(max_length=8, blank=True)
    suggestion_status = models.CharField(
        max_length=10, choices=Suggestion.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [models.Index(fields=["therapist", "comment_status"], name="feedback_therapist")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(soreness__lte=10), name="feedback_soreness_range"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback on booking {self.booking_id}: {self.rating}/5"

    @property
    def suggested_pressure_label(self) -> str:
        return str(dict(Intake.Pressure.choices).get(self.suggested_pressure, "")).lower()

    @property
    def needs_therapist_alert(self) -> bool:
        high_area = any(int(v) >= self.HIGH_SORENESS for v in (self.area_soreness or {}).values())
        return (
            self.soreness >= self.HIGH_SORENESS
            or high_area
            or self.pressure == self.Pressure.TOO_DEEP
        )


class BookingSeries(models.Model):
    """Regular visits with one therapist, e.g. every 2 weeks for 8 weeks. Each visit is an
    ordinary booking made through ``booking_create``; this row only ties them together."""

    client = models.ForeignKey(ClientProfile, on_delete=models.CASCADE, related_name="series")
    therapist = models.ForeignKey(TherapistProfile, on_delete=models.PROTECT, related_name="series")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="series")
    interval_weeks = models.PositiveSmallIntegerField(
        _("every (weeks)"), validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    visit_count = models.PositiveSmallIntegerField(
        _("visits"), validators=[MinValueValidator(2), MaxValueValidator(12)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("series of visits")
        verbose_name_plural = _("series of visits")

    def __str__(self) -> str:
        return f"{self.service} every {self.interval_weeks} weeks for {self.client}"


class SeriesVisit(models.Model):
    series = models.ForeignKey(BookingSeries, on_delete=models.CASCADE, related_name="visits")
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="series_visit")

    class Meta:
        ordering = ["booking__starts_at"]
        verbose_name = _("visit in a series")
        verbose_name_plural = _("visits in a series")

    def __str__(self) -> str:
        return f"{self.series_id}: booking {self.booking_id}"
