from __future__ import annotations

import secrets
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.geo import Point, point_or_none
from core.timefmt import format_date, format_range, format_time_range
from core.zones import validate_time_zone


def new_availability_version() -> int:
    return secrets.randbits(40)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class Modality(models.Model):
    """One of the four kinds of trigger point therapy (docs/care-rules.md); rows made by a
    migration."""

    MYOFASCIAL = "myofascial"
    NEUROMUSCULAR = "neuromuscular"
    SPORTS = "sports"
    CLINICAL = "clinical"

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("modality")
        verbose_name_plural = _("modalities")

    def __str__(self) -> str:
        return self.name


class TherapistProfile(models.Model):
    class Approval(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        # Was approved; staff took them off the directory and off new bookings for now.
        SUSPENDED = "suspended", _("Suspended")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="therapist_profile"
    )
    slug = models.SlugField(_("profile address"), unique=True, max_length=80)
    display_name = models.CharField(_("display name"), max_length=120)
    photo = models.ImageField(_("photo"), upload_to="therapists/", blank=True)
    bio = models.TextField(_("about you"), blank=True, max_length=4000)
    years_of_practice = models.PositiveSmallIntegerField(
        _("years of practice"), default=0, validators=[MaxValueValidator(70)]
    )
    licence_number = models.CharField(_("licence or registration number"), max_length=64)
    modalities = models.ManyToManyField(
        Modality, related_name="therapists", verbose_name=_("modalities")
    )
    languages = models.CharField(
        _("languages"), max_length=200, default="English", help_text=_("Comma separated.")
    )
    accepts_new_clients = models.BooleanField(_("accepting new clients"), default=True)
    approval = models.CharField(
        _("approval"),
        max_length=16,
        choices=Approval.choices,
        default=Approval.PENDING,
        db_index=True,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    # Where and how they work.
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    postcode = models.CharField(_("home base postcode"), max_length=16)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    radius_km = models.PositiveSmallIntegerField(
        _("travel radius (km)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    travel_speed_kmh = models.PositiveSmallIntegerField(
        _("average travel speed (km/h)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
    )
    min_travel_buffer_minutes = models.PositiveSmallIntegerField(
        _("minimum gap between visits (minutes)"), default=15, validators=[MaxValueValidator(240)]
    )
    travel_from_home_base = models.BooleanField(
        _("count travel from and to my home base"), default=False
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice (hours)"), default=12, validators=[MaxValueValidator(24 * 14)]
    )
    max_visits_per_day = models.PositiveSmallIntegerField(
        _("maximum visits per day"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    auto_confirm = models.BooleanField(
        _("confirm bookings automatically"),
        default=True,
        help_text=_("Off: each new booking waits for you to accept or decline it."),
    )
    calendar_token = models.CharField(
        max_length=64, unique=True, default=new_calendar_token, editable=False
    )
    # Bumped by every change to what the slot engine or a directory card reads about this
    # therapist (therapists.availability); cached free times are keyed by it, and every
    # process reads it from this row, so no process can serve times from before a change.
    # It starts at a random number: a row that reuses a deleted row's id (SQLite does)
    # cannot meet the deleted row's cache entries.
    availability_version = models.PositiveBigIntegerField(
        default=new_availability_version, editable=False
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("therapist")
        verbose_name_plural = _("therapists")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("therapists:profile", kwargs={"slug": self.slug})

    @property
    def is_approved(self) -> bool:
        return self.approval == self.Approval.APPROVED

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def home_point(self) -> Point | None:
        return point_or_none(self.latitude, self.longitude)

    @property
    def photo_url(self) -> str:
        """The uploaded photo, or a neutral placeholder until there is one."""
        if self.photo:
            return self.photo.url
        return static("therapists/placeholder.svg")

    @property
    def languages_list(self) -> list[str]:
        return [part.strip() for part in self.languages.split(",") if part.strip()]


class Service(models.Model):
    """What a therapist offers: a modality for a duration at a price. Clients book these."""

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="services"
    )
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(_("name"), max_length=120, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(15), MaxValueValidator(240)]
    )
    price = models.DecimalField(
        _("price"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["modality__position", "duration_minutes"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.label(
            name=self.name,
            modality_name=self.modality.name,
            duration_minutes=self.duration_minutes,
        )

    @staticmethod
    def label(*, name: str, modality_name: str, duration_minutes: int) -> str:
        """What a service is called where it is listed: its own name, or the modality and
        length ("Myofascial trigger point therapy, 60 min")."""
        return name or f"{modality_name}, {duration_minutes} min"


class WeeklyHours(models.Model):
    """One working range on one weekday, in the therapist's own time zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="weekly_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("weekly hours")
        verbose_name_plural = _("weekly hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="weeklyhours_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {format_time_range(self.start_time, self.end_time)}"


class DateOverride(models.Model):
    """Extra working hours on one date, in the therapist's time zone."""

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="date_overrides"
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        ordering = ["date", "start_time"]
        verbose_name = _("extra hours")
        verbose_name_plural = _("extra hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="dateoverride_end_after_start",
            )
        ]

    def __str__(self) -> str:
        hours = format_time_range(self.start_time, self.end_time)
        return f"{format_date(self.date, year=True)}, {hours}"


class TimeOff(models.Model):
    """Time the therapist does not work: whole days (local midnight to midnight) or a block."""

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="timeoff_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{format_range(self.starts_at, self.ends_at, None)} {self.reason}".strip()
