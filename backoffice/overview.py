"""The operations overview on the admin's home page: what needs someone today, each as a count
with the admin list that shows exactly those rows.

Reads only, and a fixed number of queries whatever the amount of data (one grouped query for
the visits by therapist, one aggregate per table for the queues): the home page is opened all
day long."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Model, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftercare.models import Feedback, Reminder
from aftercare.selectors import waiting_for_notes
from booking.models import Booking
from core.models import Email
from therapists.models import TherapistProfile

# The visits of a day: everything still on or already done, not what was called off.
DAY_STATUSES = (*Booking.ACTIVE_STATUSES, Booking.Status.COMPLETED)


def changelist_url(model: type[Model], **params: object) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


@dataclass(frozen=True)
class Queue:
    """One thing waiting for someone: how many, and the filtered admin list of them."""

    key: str
    label: str | Promise
    count: int
    url: str
    model: type[Model]


@dataclass(frozen=True)
class TherapistDays:
    therapist_id: int
    name: str
    today: int
    tomorrow: int
    today_url: str
    tomorrow_url: str


@dataclass(frozen=True)
class Overview:
    today: dt.date
    tomorrow: dt.date
    visits: list[TherapistDays] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)

    @property
    def visits_today(self) -> int:
        return sum(row.today for row in self.visits)

    @property
    def visits_tomorrow(self) -> int:
        return sum(row.tomorrow for row in self.visits)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _visits_by_therapist(*, today: dt.date) -> list[TherapistDays]:
    start = _day_start(today)
    middle = _day_start(today + dt.timedelta(days=1))
    end = _day_start(today + dt.timedelta(days=2))
    rows = (
        Booking.objects.filter(status__in=DAY_STATUSES, starts_at__gte=start, starts_at__lt=end)
        .values("therapist_id", "therapist__display_name")
        .annotate(
            today=Count("pk", filter=Q(starts_at__lt=middle)),
            tomorrow=Count("pk", filter=Q(starts_at__gte=middle)),
        )
        .order_by("therapist__display_name", "therapist_id")
    )
    statuses = ",".join(DAY_STATUSES)

    def day_url(therapist_id: int, since: dt.datetime, until: dt.datetime) -> str:
        return changelist_url(
            Booking,
            therapist__id__exact=therapist_id,
            status__in=statuses,
            starts_at__gte=since.isoformat(),
            starts_at__lt=until.isoformat(),
        )

    return [
        TherapistDays(
            therapist_id=row["therapist_id"],
            name=row["therapist__display_name"],
            today=row["today"],
            tomorrow=row["tomorrow"],
            today_url=day_url(row["therapist_id"], start, middle),
            tomorrow_url=day_url(row["therapist_id"], middle, end),
        )
        for row in rows
    ]


def _queues(*, now: dt.datetime) -> list[Queue]:
    bookings = Booking.objects.aggregate(
        pending=Count("pk", filter=Q(status=Booking.Status.PENDING)),
        clearance=Count("pk", filter=Q(status=Booking.Status.AWAITING_CLEARANCE)),
        notes=Count("pk", filter=waiting_for_notes(now=now)),
    )
    failed_reminders = Reminder.objects.filter(status=Reminder.Status.FAILED).count()
    failed_emails = Email.objects.filter(status=Email.Status.FAILED).count()
    sore = Feedback.objects.filter(
        therapist_alerted_at__isnull=False, followed_up_at__isnull=True
    ).count()
    therapists = TherapistProfile.objects.filter(approval=TherapistProfile.Approval.PENDING).count()
    return [
        Queue(
            "pending",
            _("Bookings waiting for the therapist's answer"),
            bookings["pending"],
            changelist_url(Booking, status__exact=Booking.Status.PENDING),
            Booking,
        ),
        Queue(
            "clearance",
            _("Bookings waiting for a doctor's clearance"),
            bookings["clearance"],
            changelist_url(Booking, status__exact=Booking.Status.AWAITING_CLEARANCE),
            Booking,
        ),
        Queue(
            "notes",
            _("Visits waiting for session notes (last 30 days)"),
            bookings["notes"],
            changelist_url(Booking, notes="waiting"),
            Booking,
        ),
        Queue(
            "reminders",
            _("Failed reminders"),
            failed_reminders,
            changelist_url(Reminder, status__exact=Reminder.Status.FAILED),
            Reminder,
        ),
        Queue(
            "emails",
            _("Failed e-mails"),
            failed_emails,
            changelist_url(Email, status__exact=Email.Status.FAILED),
            Email,
        ),
        Queue(
            "sore",
            _("Sore clients not followed up"),
            sore,
            changelist_url(Feedback, follow_up="waiting"),
            Feedback,
        ),
        Queue(
            "therapists",
            _("Therapists waiting for approval"),
            therapists,
            changelist_url(TherapistProfile, approval__exact=TherapistProfile.Approval.PENDING),
            TherapistProfile,
        ),
    ]


def operations_overview(*, now: dt.datetime | None = None) -> Overview:
    """Today's and tomorrow's visits by therapist (in the site's time zone), and the queues."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    return Overview(
        today=today,
        tomorrow=today + dt.timedelta(days=1),
        visits=_visits_by_therapist(today=today),
        queues=_queues(now=now),
    )
