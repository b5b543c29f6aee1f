"""Writes for the clients app: the client profile, intake versions and the intake access log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from clients.body import REGION_BY_SLUG
from clients.models import ClientProfile, Intake, IntakeAccessLog, PainArea
from core.geo import US_STATES, lookup_place, normalise_postcode
from core.zones import local_today, validate_time_zone

TEXT_LIMIT = 2000  # goals, medications, other notes (the models' max_length)


class PostcodeNotFound(ValidationError):
    pass


def postcode_not_found_message(postcode: str) -> str:
    return str(
        _(
            "We could not find the postcode “%(postcode)s”. Enter a 5-digit US ZIP code, for "
            "example 10001: therapists use it to plan their travel to you."
        )
        % {"postcode": postcode}
    )


def state_mismatch_message(postcode: str, state: str, zip_state: str) -> str:
    return str(
        _(
            "ZIP code %(postcode)s is in %(zip_state)s, not %(state)s: check the state or the "
            "ZIP code."
        )
        % {
            "postcode": postcode,
            "zip_state": US_STATES.get(zip_state, zip_state),
            "state": US_STATES.get(state, state),
        }
    )


def client_profile_save(
    *,
    user: User,
    first_name: str,
    last_name: str,
    phone: str,
    street: str,
    city: str,
    postcode: str,
    state: str = "",
    access_notes: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
    email_reminders: bool = True,
    email_offers: bool = True,
    time_zone: str = "America/New_York",
) -> ClientProfile:
    """Create or update the client's profile and their name.

    The postcode must be known to the offline lookup: a home visit needs coordinates so that
    the directory can match therapists by distance and the slot engine can plan travel time.
    An unknown postcode raises :class:`PostcodeNotFound` and nothing is saved. The state must
    be the ZIP's own (a typo in either sends the therapist to the wrong place); left empty, it
    is taken from the ZIP.
    """
    postcode = normalise_postcode(postcode)
    place = lookup_place(postcode)
    if place is None:
        raise PostcodeNotFound({"postcode": postcode_not_found_message(postcode)})
    point = place.point
    state = state.strip().upper() or place.state
    if place.state and state != place.state:
        raise ValidationError({"state": state_mismatch_message(postcode, state, place.state)})
    validate_time_zone(time_zone)
    with transaction.atomic():
        user.first_name = first_name.strip()
        user.last_name = last_name.strip()
        user.save(update_fields=["first_name", "last_name"])
        profile, _created = ClientProfile.objects.select_for_update().get_or_create(
            user=user,
            defaults={"phone": phone, "street": street, "city": city, "postcode": postcode},
        )
        profile.phone = phone.strip()
        profile.street = street.strip()
        profile.city = city.strip()
        profile.postcode = postcode
        profile.state = state
        profile.latitude = Decimal(f"{point.latitude:.6f}")
        profile.longitude = Decimal(f"{point.longitude:.6f}")
        profile.access_notes = access_notes.strip()
        profile.emergency_contact_name = emergency_contact_name.strip()
        profile.emergency_contact_phone = emergency_contact_phone.strip()
        profile.email_reminders = email_reminders
        profile.email_offers = email_offers
        profile.time_zone = time_zone
        profile.save()
    return profile


@dataclass(frozen=True)
class PainAreaInput:
    region: str
    intensity: int
    refers_to: tuple[str, ...] = ()


def _pain_area_input(item: PainAreaInput | Mapping[str, Any]) -> PainAreaInput:
    if isinstance(item, PainAreaInput):
        return item
    return PainAreaInput(
        region=item["region"],
        intensity=item["intensity"],
        refers_to=tuple(item.get("refers_to") or ()),
    )


def _validate_intake(
    *,
    client: ClientProfile,
    reasons: list[str],
    pressure: str,
    discomfort_ceiling: int,
    last_massage_on: dt.date | None,
    never_had_massage: bool,
    screening: list[str],
    screening_none: bool,
    texts: dict[str, str],
    consent_treatment: bool,
    consent_data: bool,
    areas: list[PainAreaInput],
) -> None:
    """The same rules the form enforces, so no other caller can store a bad intake."""
    errors: dict[str, list[str]] = {}

    def err(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(str(message))

    if unknown := set(reasons) - set(Intake.Reason.values):
        err("reasons", _("Unknown reason: %(v)s") % {"v": ", ".join(sorted(unknown))})
    if unknown := set(screening) - set(Intake.Screening.values):
        err("screening", _("Unknown condition: %(v)s") % {"v": ", ".join(sorted(unknown))})
    if screening and screening_none:
        err("screening", _("You ticked a condition and “None of these”: choose one."))
    if not screening and not screening_none:
        err("screening", _("Tick what applies to you now, or “None of these apply to me”."))
    if pressure not in Intake.Pressure.values:
        err("pressure", _("Choose light, medium, firm or deep pressure."))
    if not 1 <= discomfort_ceiling <= 10:
        err("discomfort_ceiling", _("Choose a number from 1 to 10."))
    if never_had_massage and last_massage_on:
        err("last_massage_on", _("Give a date or tick “never”, not both."))
    if not never_had_massage and last_massage_on is None:
        err("last_massage_on", _("Give the date of your last massage, or tick “never”."))
    if last_massage_on and last_massage_on > local_today(client):
        err("last_massage_on", _("The date of your last massage cannot be in the future."))
    for field, value in texts.items():
        if len(value) > TEXT_LIMIT:
            err(field, _("Keep this under %(n)s characters.") % {"n": TEXT_LIMIT})
    if not consent_treatment:
        err("consent_treatment", _("We need your consent to treatment before a visit."))
    if not consent_data:
        err("consent_data", _("We need your consent to store this health information."))
    seen: set[str] = set()
    for area in areas:
        if area.region not in REGION_BY_SLUG:
            err("areas", _("Unknown body area: %(v)s") % {"v": area.region})
            continue
        if area.region in seen:
            err("areas", _("%(v)s is marked twice.") % {"v": area.region})
        seen.add(area.region)
        if not isinstance(area.intensity, int) or not 0 <= area.intensity <= 10:
            err("areas", _("Intensity must be from 0 to 10."))
        for target in area.refers_to:
            if target not in REGION_BY_SLUG:
                err("areas", _("Unknown body area: %(v)s") % {"v": target})
    if errors:
        raise ValidationError(errors)


def intake_create(
    *,
    client: ClientProfile,
    pressure: str,
    consent_treatment: bool,
    consent_data: bool,
    reasons: Iterable[str] = (),
    goals: str = "",
    discomfort_ceiling: int = 7,
    last_massage_on: dt.date | None = None,
    never_had_massage: bool = False,
    screening: Iterable[str] = (),
    screening_none: bool = False,
    front_of_body: bool = False,
    side_lying: bool = False,
    medications: str = "",
    other_notes: str = "",
    pain_areas: Iterable[PainAreaInput | Mapping[str, Any]] = (),
    now: dt.datetime | None = None,
) -> Intake:
    """Save a new version of the client's intake; earlier versions are never changed.

    1. validate (raises ``ValidationError`` keyed by field; nothing is written);
    2. lock the client's profile row so two saves at once get consecutive version numbers;
    3. insert the intake with version = latest + 1 and consent time = now, then its pain areas.
    """
    reasons = list(dict.fromkeys(reasons))
    screening = list(dict.fromkeys(screening))
    areas = [_pain_area_input(a) for a in pain_areas]
    texts = {"goals": goals.strip(), "medications": medications.strip()}
    texts["other_notes"] = other_notes.strip()
    _validate_intake(
        client=client,
        reasons=reasons,
        pressure=pressure,
        discomfort_ceiling=discomfort_ceiling,
        last_massage_on=last_massage_on,
        never_had_massage=never_had_massage,
        screening=screening,
        screening_none=screening_none,
        texts=texts,
        consent_treatment=consent_treatment,
        consent_data=consent_data,
        areas=areas,
    )
    now = now or timezone.now()
    with transaction.atomic():
        ClientProfile.objects.select_for_update().filter(pk=client.pk).first()
        latest = client.intakes.aggregate(v=Max("version"))["v"] or 0
        intake = Intake.objects.create(
            client=client,
            version=latest + 1,
            reasons=reasons,
            goals=texts["goals"],
            pressure=pressure,
            discomfort_ceiling=discomfort_ceiling,
            last_massage_on=None if never_had_massage else last_massage_on,
            never_had_massage=never_had_massage,
            screening=screening,
            screening_none=screening_none,
            front_of_body=front_of_body,
            side_lying=side_lying,
            medications=texts["medications"],
            other_notes=texts["other_notes"],
            consent_treatment=True,
            consent_data=True,
            consented_at=now,
        )
        PainArea.objects.bulk_create(
            PainArea(
                intake=intake,
                region=area.region,
                intensity=area.intensity,
                # The pain "travelling" to the same area says nothing; keep order, drop repeats.
                refers_to=[t for t in dict.fromkeys(area.refers_to) if t != area.region],
            )
            for area in areas
        )
    return intake


def health_view_record(
    *,
    client: ClientProfile,
    viewer: User,
    record: str,
    context: str,
    intake: Intake | None = None,
) -> IntakeAccessLog | None:
    """Log that ``viewer`` saw ``record`` of ``client``'s health data (``context`` says where:
    "intake_detail", "visit", "admin" …). The client reading their own is not logged."""
    if viewer.pk == client.user_id:
        return None
    return IntakeAccessLog.objects.create(
        client=client, intake=intake, record=record, viewer=viewer, context=context[:100]
    )


def intake_view_record(*, intake: Intake, viewer: User, context: str) -> IntakeAccessLog | None:
    """Log that ``viewer`` saw ``intake`` (see :func:`health_view_record`)."""
    return health_view_record(
        client=intake.client,
        viewer=viewer,
        record=IntakeAccessLog.Record.INTAKE,
        context=context,
        intake=intake,
    )
