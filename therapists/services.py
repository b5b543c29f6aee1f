"""Writes for the therapists app: profiles, services, hours, time off, the feed token."""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageOps

from accounts.models import User
from core.geo import Point
from core.inputs import open_image
from therapists.availability import availability_changed
from therapists.models import (
    DateOverride,
    Modality,
    Service,
    TherapistProfile,
    TimeOff,
    WeeklyHours,
    new_calendar_token,
)
from therapists.selectors import local_day_bounds

PHOTO_MAX_PX = 600
# Slugs that would shadow the therapist pages under /therapists/.
RESERVED_SLUGS = frozenset({"me", "signup", "feed", "visits", "new", "edit", "admin", "api"})


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:60] or "therapist"
    if base in RESERVED_SLUGS:
        base = f"{base}-therapist"
    slug, n = base, 1
    taken = TherapistProfile.objects.all()
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def therapist_profile_create_pending(*, user: User) -> TherapistProfile:
    """The profile a therapist gets on sign-up: hidden until staff approve it. Idempotent."""
    existing = TherapistProfile.objects.filter(user=user).first()
    if existing is not None:
        return existing
    name = user.get_full_name() or user.email.split("@")[0]
    return TherapistProfile.objects.create(
        user=user,
        slug=unique_slug(name),
        display_name=name,
        licence_number="",
        postcode="",
        approval=TherapistProfile.Approval.PENDING,
    )


def photo_resize(upload: UploadedFile, *, max_px: int = PHOTO_MAX_PX) -> ContentFile:
    """A JPEG no larger than ``max_px`` on its longest side, upright, without EXIF data
    (phone photos carry the place they were taken)."""
    with open_image(upload) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, (255, 255, 255))
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue())


@transaction.atomic
def therapist_profile_update(
    *,
    profile: TherapistProfile,
    data: dict[str, Any],
    modalities: Iterable[Modality],
    point: Point | None,
    photo: UploadedFile | None = None,
    clear_photo: bool = False,
) -> TherapistProfile:
    """Save the therapist's own edits. ``point`` is the geocoded home base; None keeps the
    coordinates staff may have typed for a postcode we cannot look up."""
    for field, value in data.items():
        setattr(profile, field, value)
    if point is not None:
        profile.latitude = Decimal(f"{point.latitude:.6f}")
        profile.longitude = Decimal(f"{point.longitude:.6f}")
    old_photo = profile.photo.name if profile.photo else ""
    if photo is not None:
        name = f"{profile.slug}-{secrets.token_hex(4)}.jpg"
        profile.photo.save(name, photo_resize(photo), save=False)
    elif clear_photo:
        profile.photo = None
    profile.full_clean(exclude=["photo", "user", "slug"])
    profile.save()
    profile.modalities.set(modalities)
    new_photo = profile.photo.name if profile.photo else ""
    if old_photo and old_photo != new_photo:
        storage = profile.photo.storage
        transaction.on_commit(lambda: storage.delete(old_photo))
    return profile


def therapist_approve(*, profile: TherapistProfile) -> bool:
    """Make a profile visible to clients. Returns False when it already was."""
    if profile.approval == TherapistProfile.Approval.APPROVED:
        return False
    profile.approval = TherapistProfile.Approval.APPROVED
    profile.approved_at = timezone.now()
    profile.save(update_fields=["approval", "approved_at", "updated_at"])
    return True


def therapist_reject(*, profile: TherapistProfile) -> None:
    profile.approval = TherapistProfile.Approval.REJECTED
    profile.approved_at = None
    profile.save(update_fields=["approval", "approved_at", "updated_at"])


def therapist_suspend(*, profile: TherapistProfile) -> bool:
    """Take a therapist off the directory and off new bookings (the slot engine and every
    booking rule read ``approval``; saving the row bumps their free times). Their booked visits
    stay as they are: cancelling them is a booking change, made through booking's services by
    the caller (``backoffice.services.therapist_suspend_with_visits``). Returns False when the
    profile was not approved (nothing to suspend)."""
    if profile.approval != TherapistProfile.Approval.APPROVED:
        return False
    profile.approval = TherapistProfile.Approval.SUSPENDED
    profile.save(update_fields=["approval", "updated_at"])
    return True


def calendar_token_reset(*, profile: TherapistProfile) -> str:
    """A new secret for the calendar feed; the old subscription URL stops working."""
    profile.calendar_token = new_calendar_token()
    profile.save(update_fields=["calendar_token", "updated_at"])
    return profile.calendar_token


def service_save(
    *,
    therapist: TherapistProfile,
    modality: Modality,
    duration_minutes: int,
    price: Any,
    name: str = "",
    is_active: bool = True,
    service: Service | None = None,
) -> Service:
    service = service or Service(therapist=therapist)
    if service.therapist_id != therapist.pk:
        raise ValueError("A therapist edits only their own services.")
    service.modality = modality
    service.duration_minutes = duration_minutes
    service.price = price
    service.name = name
    service.is_active = is_active
    service.full_clean()
    service.save()
    return service


def service_remove(*, service: Service) -> bool:
    """Delete a service nobody has booked; one with bookings is only switched off, because
    past visits and their invoices point at it. Returns True when it was deleted."""
    if service.bookings.exists():
        service.is_active = False
        service.save(update_fields=["is_active"])
        return False
    service.delete()
    return True


@transaction.atomic
def weekly_hours_replace(
    *, therapist: TherapistProfile, ranges: Iterable[tuple[int, dt.time, dt.time]]
) -> list[WeeklyHours]:
    """Replace the whole weekly schedule with ``ranges`` (weekday, start, end); overlapping
    or touching ranges on one day are merged."""
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, start, end in sorted(ranges):
        day = by_day.setdefault(weekday, [])
        if day and start <= day[-1][1]:
            day[-1] = (day[-1][0], max(end, day[-1][1]))
        else:
            day.append((start, end))
    with transaction.atomic():
        WeeklyHours.objects.filter(therapist=therapist).delete()
        created = WeeklyHours.objects.bulk_create(
            WeeklyHours(therapist=therapist, weekday=weekday, start_time=start, end_time=end)
            for weekday, day in sorted(by_day.items())
            for start, end in day
        )
        availability_changed(therapist_id=therapist.pk)  # bulk_create sends no signal
    return created


def time_off_add_days(
    *, therapist: TherapistProfile, first_day: dt.date, last_day: dt.date, reason: str = ""
) -> TimeOff:
    """Whole days off: from local midnight of ``first_day`` to local midnight after
    ``last_day``, in the therapist's zone, stored as UTC."""
    if last_day < first_day:
        raise ValueError("The last day off is before the first.")
    starts_at, _ = local_day_bounds(first_day, therapist.tz)
    _, ends_at = local_day_bounds(last_day, therapist.tz)
    return TimeOff.objects.create(
        therapist=therapist, starts_at=starts_at, ends_at=ends_at, reason=reason
    )


def time_off_add_block(
    *, therapist: TherapistProfile, starts_at: dt.datetime, ends_at: dt.datetime, reason: str = ""
) -> TimeOff:
    """Block a stretch of time (from the calendar); both ends must be aware."""
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("Time off needs aware datetimes.")
    if ends_at <= starts_at:
        raise ValueError("Time off must end after it starts.")
    return TimeOff.objects.create(
        therapist=therapist,
        starts_at=starts_at.astimezone(dt.UTC),
        ends_at=ends_at.astimezone(dt.UTC),
        reason=reason,
    )


def time_off_remove(*, time_off: TimeOff) -> None:
    time_off.delete()


def date_override_add(
    *, therapist: TherapistProfile, date: dt.date, start_time: dt.time, end_time: dt.time
) -> DateOverride:
    if end_time <= start_time:
        raise ValueError("Extra hours must end after they start.")
    return DateOverride.objects.create(
        therapist=therapist, date=date, start_time=start_time, end_time=end_time
    )


def date_override_remove(*, override: DateOverride) -> None:
    override.delete()
