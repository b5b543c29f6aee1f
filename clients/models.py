from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.body import REGION_CHOICES
from core.geo import Point, point_or_none
from core.timefmt import format_datetime, with_zone
from core.zones import validate_time_zone


class ClientProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_profile"
    )
    phone = models.CharField(_("phone"), max_length=32)
    street = models.CharField(_("street address"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    # The USPS code ("NY"); checked against the ZIP when saved (clients.services).
    state = models.CharField(_("state"), max_length=2, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    access_notes = models.TextField(
        _("access notes for a home visit"),
        blank=True,
        max_length=1000,
        help_text=_("Parking, stairs or lift, pets, entry code, and where a massage table fits."),
    )
    emergency_contact_name = models.CharField(
        _("emergency contact name"), max_length=120, blank=True
    )
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=32, blank=True
    )
    # Two kinds of e-mail, two switches: what keeps a booked visit safe, and what suggests the
    # next one. Turning off one never turns off the other.
    email_reminders = models.BooleanField(
        _("e-mail me about my visits: the day before, and aftercare afterwards"), default=True
    )
    email_offers = models.BooleanField(_("e-mail me suggestions for my next visit"), default=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")

    def __str__(self) -> str:
        return self.user.display_name

    @property
    def point(self) -> Point | None:
        return point_or_none(self.latitude, self.longitude)

    @property
    def address_one_line(self) -> str:
        city = f"{self.city}, {self.state}" if self.state else self.city
        return f"{self.street}, {city} {self.postcode}"


class Intake(models.Model):
    """One version of a client's health intake. Never edited: each save is a new row, and a
    booking points at the version that was current when it was made."""

    class Reason(models.TextChoices):
        BACK_NECK = "back_neck", _("Chronic back or neck pain")
        HEADACHES = "headaches", _("Headaches or migraines")
        SPORTS_INJURY = "sports_injury", _("Sports injury")
        REPETITIVE_STRAIN = "repetitive_strain", _("Repetitive strain (desk work, music, trades)")
        FIBROMYALGIA = "fibromyalgia", _("Fibromyalgia")
        CHRONIC_PAIN = "chronic_pain", _("Other chronic pain")
        LIMITED_MOBILITY = "limited_mobility", _("Limited mobility")
        STRESS = "stress", _("Stress or anxiety")

    class Pressure(models.TextChoices):
        LIGHT = "light", _("Light")
        MEDIUM = "medium", _("Medium")
        FIRM = "firm", _("Firm")
        DEEP = "deep", _("Deep")

    class Screening(models.TextChoices):
        FEVER = "fever", _("Fever or an infection")
        SURGERY = "surgery", _("Recent surgery or a recent injury")
        CLOT = "clot", _("A suspected or known blood clot")
        BLOOD_THINNERS = "blood_thinners", _("Blood-thinning medication")
        PREGNANCY = "pregnancy", _("Pregnancy")
        SKIN = "skin", _("Open wounds or a skin condition where you want massage")

    client = models.ForeignKey(ClientProfile, on_delete=models.CASCADE, related_name="intakes")
    version = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    reasons = models.JSONField(_("what brings you"), default=list, blank=True)
    goals = models.TextField(_("your goals, in your own words"), blank=True, max_length=2000)
    pressure = models.CharField(_("pressure preference"), max_length=8, choices=Pressure.choices)
    discomfort_ceiling = models.PositiveSmallIntegerField(
        _("most discomfort you accept (1–10)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    last_massage_on = models.DateField(_("last massage"), null=True, blank=True)
    never_had_massage = models.BooleanField(_("I have never had a massage"), default=False)
    screening = models.JSONField(_("health screening"), default=list, blank=True)
    # "None of these" is an answer, not a blank: the client said so.
    screening_none = models.BooleanField(_("none of these apply to me"), default=False)
    front_of_body = models.BooleanField(
        _("work on the front of my body too (chest, front of the neck, arms)"), default=False
    )
    side_lying = models.BooleanField(
        _("I would rather lie on my side than face down for a long time"), default=False
    )
    medications = models.TextField(_("medications"), blank=True, max_length=2000)
    other_notes = models.TextField(
        _("anything else your therapist should know"), blank=True, max_length=2000
    )
    consent_treatment = models.BooleanField(_("I consent to treatment"), default=False)
    consent_data = models.BooleanField(
        _("I consent to storing this health information"), default=False
    )
    consented_at = models.DateTimeField(_("consent given at"), null=True, blank=True)

    class Meta:
        ordering = ["client", "-version"]
        get_latest_by = "version"
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="intake_unique_version"),
            models.CheckConstraint(
                condition=models.Q(discomfort_ceiling__gte=1, discomfort_ceiling__lte=10),
                name="intake_discomfort_ceiling_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} intake v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("clients:intake_detail", kwargs={"pk": self.pk})

    @property
    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [str(labels.get(v, v)) for v in self.reasons or []]

    @property
    def screening_labels(self) -> list[str]:
        labels = dict(self.Screening.choices)
        return [str(labels.get(v, v)) for v in self.screening or []]


class PainArea(models.Model):
    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="pain_areas")
    region = models.CharField(_("area"), max_length=32, choices=REGION_CHOICES)
    intensity = models.PositiveSmallIntegerField(
        _("intensity (0–10)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    refers_to = models.JSONField(_("pain travels to"), default=list, blank=True)

    class Meta:
        ordering = ["intake", "region"]
        constraints = [
            models.UniqueConstraint(fields=["intake", "region"], name="painarea_unique_region"),
            models.CheckConstraint(
                condition=models.Q(intensity__lte=10), name="painarea_intensity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_region_display()}: {self.intensity}/10"


class IntakeAccessLog(models.Model):
    """Who other than the client looked at their health data (the intake, care flags, session
    notes, feedback, progress, contact details for a visit), when, and where."""

    class Record(models.TextChoices):
        INTAKE = "intake", _("Health intake and care flags")
        NOTES = "notes", _("Session notes")
        FEEDBACK = "feedback", _("Feedback after visits")
        PROGRESS = "progress", _("Progress charts")
        CONTACT = "contact", _("Phone and emergency contact")

    client = models.ForeignKey(
        ClientProfile, on_delete=models.CASCADE, related_name="health_access_log"
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.CASCADE, related_name="access_log", null=True, blank=True
    )
    record = models.CharField(
        _("what"), max_length=16, choices=Record.choices, default=Record.INTAKE
    )
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    context = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-viewed_at"]
        verbose_name = _("health data view")
        verbose_name_plural = _("health data access log")
        indexes = [models.Index(fields=["client", "-viewed_at"], name="accesslog_client_recent")]

    def __str__(self) -> str:
        when = with_zone(format_datetime(self.viewed_at, year=True), None)
        return f"{self.viewer} viewed {self.get_record_display()} of {self.client}, {when}"
