"""Reading untrusted input: ids, dates, times and uploaded images, within bounds.

Everything a visitor can type (a query string, a form field, a path segment) is read here
before it reaches arithmetic, a database or an image decoder, so that a hostile value is a
``None`` the view turns into a 400 or a form error, never an exception and a 500:

- an id is a plain decimal number that fits the 64-bit primary keys (a 20-digit id overflows
  SQLite's integers and PostgreSQL's ``bigint``);
- a date or time lies between :data:`EARLIEST` and :data:`LATEST`: year 1 or 9999, or a far
  UTC offset, overflows as soon as a day, a week or a time zone is added to it;
- a time must carry its offset (a naive time is ambiguous) and is returned in UTC;
- text must not contain NUL characters, which PostgreSQL refuses to store or compare;
- an image is opened only as JPEG, PNG or WebP (never through Pillow's other decoders, such
  as the Ghostscript one behind EPS) and only up to :data:`IMAGE_MAX_PIXELS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date as _django_parse_date
from django.utils.dateparse import parse_datetime as _django_parse_datetime
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

# Primary keys are BigAutoField: positive and at most a signed 64-bit integer.
MAX_ID = 2**63 - 1
# The range of dates and times the product deals in. Wide enough for any real visit, time off,
# intake or report; narrow enough that adding years, weeks or a zone to it never overflows.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2199, 12, 31)
EARLIEST = dt.datetime.combine(EARLIEST_DAY, dt.time(0), tzinfo=dt.UTC)
LATEST = dt.datetime.combine(LATEST_DAY, dt.time(23, 59, 59), tzinfo=dt.UTC)

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
# About 40 megapixels: any phone photo, far from a decompression bomb.
IMAGE_MAX_PIXELS = 40_000_000

OUT_OF_RANGE = _("Enter a date between %(first)s and %(last)s.") % {
    "first": EARLIEST_DAY.year,
    "last": LATEST_DAY.year,
}
NUL_MESSAGE = _("Null characters are not allowed.")
IMAGE_MESSAGE = _("Upload a photo in JPEG, PNG or WebP format.")
IMAGE_TOO_LARGE = _("That photo has too many pixels; please choose a smaller one.")


def parse_id(value: Any) -> int | None:
    """A primary key from a query, form or path value: a positive whole number that fits the
    database, else None. Only ASCII digits (``int()`` also takes "١٢", "1_0" and " 7 ")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def parse_int(value: Any, *, lo: int, hi: int) -> int | None:
    """A whole number between ``lo`` and ``hi`` (inclusive) from untrusted input, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        sign = -1 if text.startswith("-") else 1
        digits = text[1:] if text.startswith(("+", "-")) else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
            return None
        number = sign * int(digits)
    elif isinstance(value, int):
        number = value
    else:
        return None
    return number if lo <= number <= hi else None


def day_in_range(value: dt.date) -> bool:
    return EARLIEST_DAY <= value <= LATEST_DAY


def moment_in_range(value: dt.datetime) -> bool:
    """Whether an aware time lies within the product's range (in UTC)."""
    try:
        return EARLIEST <= value.astimezone(dt.UTC) <= LATEST
    except (OverflowError, ValueError):  # year 1 with a positive offset, 9999 with a negative
        return False


def parse_date(value: Any) -> dt.date | None:
    """A YYYY-MM-DD date within the range, else None (never an exception)."""
    if not isinstance(value, str) or not value or has_nul(value):
        return None
    try:
        day = _django_parse_date(value.strip())
    except ValueError:
        return None
    return day if day is not None and day_in_range(day) else None


def parse_moment(value: Any, *, default_zone: dt.tzinfo | None = None) -> dt.datetime | None:
    """An ISO 8601 time within the range, in UTC, else None (never an exception).

    Without ``default_zone`` the time must carry its offset; with it, a naive time is read in
    that zone. A '+' in a query string that nobody escaped arrives as a space: put it back."""
    if not isinstance(value, str) or not value or has_nul(value):
        return None
    text = value.strip().replace(" ", "+")
    try:
        moment = _django_parse_datetime(text)
    except (ValueError, OverflowError):
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        if default_zone is None:
            return None
        try:
            moment = moment.replace(tzinfo=default_zone)
        except (OverflowError, ValueError):
            return None
    if not moment_in_range(moment):
        return None
    return moment.astimezone(dt.UTC)


def has_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def any_nul(values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> bool:
    """Whether any key or value of a query or form (``QueryDict.lists()``) holds a NUL."""
    items = values.items() if isinstance(values, Mapping) else values
    for key, value in items:
        if has_nul(key):
            return True
        if isinstance(value, list | tuple):
            if any(has_nul(v) for v in value):
                return True
        elif has_nul(value):
            return True
    return False


class ImageRefused(ValueError):
    """The upload is not an image we open; ``message`` says why, for a form error."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def open_image(upload: IO[bytes]) -> Image.Image:
    """Open an uploaded image with only the JPEG, PNG and WebP decoders and refuse one with
    more than :data:`IMAGE_MAX_PIXELS` before decoding it. Raises :class:`ImageRefused`.

    Pillow otherwise picks a decoder from the file's first bytes: an EPS file would go through
    Ghostscript, a program we do not want to run on a stranger's file."""
    upload.seek(0)
    try:
        image = Image.open(upload, formats=IMAGE_FORMATS)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused(IMAGE_MESSAGE) from exc
    except Image.DecompressionBombError as exc:
        raise ImageRefused(IMAGE_TOO_LARGE) from exc
    width, height = image.size
    if width < 1 or height < 1 or width * height > IMAGE_MAX_PIXELS:
        image.close()
        raise ImageRefused(IMAGE_TOO_LARGE)
    return image


def check_image(upload: IO[bytes]) -> None:
    """Raise :class:`ImageRefused` unless the upload opens and decodes as an allowed image."""
    try:
        with open_image(upload) as image:
            image.load()
    except ImageRefused:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageRefused(IMAGE_MESSAGE) from exc
    finally:
        upload.seek(0)


# --- Form fields ---------------------------------------------------------------------------


class BoundedDateField(forms.DateField):
    """A date within :data:`EARLIEST_DAY`..:data:`LATEST_DAY`; a form error otherwise."""

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        if day is not None and not day_in_range(day):
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")
        return day


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time within the range. A naive value is read in the current zone (the view
    activates the right one), as ``DateTimeField`` does; one too far out is a form error."""

    def to_python(self, value: Any) -> dt.datetime | None:
        try:
            moment = super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range") from None
        if moment is not None and not moment_in_range(moment):
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")
        return moment

    def prepare_value(self, value: Any) -> Any:
        try:
            return super().prepare_value(value)
        except OverflowError:
            return value


class SafeImageField(forms.ImageField):
    """An ``ImageField`` that checks the upload with :func:`check_image` (allowed formats,
    pixel limit) before Django's own check, which would let Pillow pick any decoder."""

    default_error_messages = {"invalid_image": IMAGE_MESSAGE}

    def to_python(self, data: Any) -> Any:
        if data in self.empty_values:
            return None
        if hasattr(data, "temporary_file_path"):
            source: Any = open(data.temporary_file_path(), "rb")  # noqa: SIM115
        elif hasattr(data, "read"):
            source = data
        else:
            source = None
        if source is not None:
            try:
                check_image(source)
            except ImageRefused as exc:
                raise forms.ValidationError(exc.message, code="invalid_image") from exc
            finally:
                if source is not data:
                    source.close()
        return super().to_python(data)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Choices by primary key, each checked with :func:`parse_id` before the database sees
    it: Django only checks that a value converts to an int, and a 20-digit one overflows the
    ``IN (…)`` query (SQLite cannot bind it; PostgreSQL compares it as ``numeric``)."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple) and self.to_field_name in (None, "pk", "id"):
            for pk in value:
                if parse_id(pk) is None:
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": str(pk)[:40]},
                    )
        return super().clean(value)


# --- The admin -----------------------------------------------------------------------------


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the selected ids up with ``pk__in`` and lets a
    ``ValueError`` out for one that is not a number (``?therapist=abc`` on an add page, or a
    posted form shown again): ids that :func:`parse_id` refuses select nothing."""

    def optgroups(self, name: str, value: Any, attrs: dict[str, Any] | None = None) -> Any:
        target = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        if isinstance(target, models.IntegerField):
            value = [v for v in value if parse_id(str(v)) is not None]
        return super().optgroups(name, value, attrs)


class SafeModelAdmin(admin.ModelAdmin):
    """A ``ModelAdmin`` that reads the add page's query (initial values) and its autocomplete
    ids through this module: a value that does not parse is left out, not a 500."""

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        kept: dict[str, Any] = {}
        for name, raw in initial.items():
            value: Any = raw
            try:
                model_field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                kept[name] = value
                continue
            if isinstance(model_field, models.DateTimeField):
                value = parse_moment(value, default_zone=timezone.get_current_timezone())
            elif isinstance(model_field, models.DateField):
                value = parse_date(value)
            elif model_field.many_to_one or model_field.one_to_one:
                value = value if parse_id(value) is not None else None
            if value is not None:
                kept[name] = value
        return kept
