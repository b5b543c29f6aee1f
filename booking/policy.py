"""The booking rules, in one place: who may book or change a visit, and when.

Every entry point (the booking flow, the series flow, signed e-mail links, admin, tasks) calls
a service in ``booking.services``, and every service runs the checks here before it writes.
A check that fails raises a :class:`BookingRefused` whose message is the sentence the user
sees, the same whichever door they came through. Views, forms and admin only translate it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from booking.models import Booking
from clients.care_flags import needs_clearance
from clients.models import ClientProfile, Intake
from clients.selectors import INTAKE_REVIEW_AFTER
from core.refusals import Refusal
from therapists.models import Service, TherapistProfile
from therapists.selectors import therapist_reaches


class BookingRefused(Refusal):
    """The common base of every refusal from ``booking.services``."""

    code = "booking_refused"
    default_message = _("That booking is not possible.")


class SlotUnavailable(BookingRefused):
    """The slot is taken, outside the therapist's availability, or unreachable in time."""

    code = "slot_unavailable"
    default_message = _("That time is no longer available.")


class BookingBusy(BookingRefused):
    """Another booking for the same therapist held the calendar for too long."""

    code = "busy"
    default_message = _("Many people are booking right now. Please try again in a moment.")


class ServiceNotOffered(BookingRefused):
    code = "service_not_offered"
    default_message = _("This therapist does not offer that service.")


class TherapistUnavailable(BookingRefused):
    code = "therapist_unavailable"
    default_message = _("This therapist is not taking bookings.")


class NotAcceptingNewClients(BookingRefused):
    code = "not_accepting_new_clients"
    default_message = _("This therapist is not taking new clients at the moment.")


class OutOfArea(BookingRefused):
    code = "out_of_area"
    default_message = _("Your address is outside this therapist's area.")


class IntakeRequired(BookingRefused):
    code = "intake_required"
    default_message = _(
        "Before your first visit, please fill in your health intake. It takes a few minutes."
    )


class IntakeOutdated(IntakeRequired):
    code = "intake_outdated"
    default_message = _(
        "Your health intake is more than six months old. Please check it is still right "
        "before you book."
    )


class ClearanceRequired(BookingRefused):
    code = "clearance_required"
    default_message = _(
        "Your health answers mean this visit needs a doctor's clearance. Please read the "
        "warning and confirm that you will get it before the visit."
    )


class ClearanceNoteRequired(BookingRefused):
    code = "clearance_note_required"
    default_message = _("Say what you saw: who cleared the client, and when.")


class BookingChangeRefused(BookingRefused):
    """A change that the booking's state or the policy does not allow; the message says why."""

    code = "change_refused"
    default_message = _("This visit cannot be changed.")


class CutoffPassed(BookingChangeRefused):
    code = "cutoff_passed"


class NotAllowed(BookingChangeRefused):
    code = "not_allowed"
    default_message = _("You cannot make that change to this visit.")


def cutoff_message(action: str) -> str:
    """The one sentence for a change inside the cut-off ("cancel" or "move")."""
    hours = settings.BOOKING_CANCEL_CUTOFF_HOURS
    if action == "cancel":
        text = _(
            "Visits can be cancelled online up to %(hours)s hours before they start. "
            "Please contact your therapist."
        )
    else:
        text = _(
            "Visits can be moved online up to %(hours)s hours before they start. "
            "Please contact your therapist."
        )
    return str(text % {"hours": hours})


# --- Who is acting ------------------------------------------------------------------------------

CLIENT = "client"
THERAPIST = "therapist"
STAFF = "staff"
SYSTEM = "system"


def actor_role(booking: Booking, actor: User | None) -> str:
    """How ``actor`` stands to ``booking``: its client, its therapist, staff, or the system
    (no actor: a task). Anyone else is refused."""
    if actor is None:
        return SYSTEM
    if actor.pk == booking.client.user_id:
        return CLIENT
    if actor.pk == booking.therapist.user_id:
        return THERAPIST
    if actor.is_active and actor.is_staff:
        return STAFF
    raise NotAllowed()


def require_role(role: str, *allowed: str) -> None:
    if role not in allowed:
        raise NotAllowed()


# --- Creating a visit ---------------------------------------------------------------------------


def is_existing_client(*, therapist: TherapistProfile, client: ClientProfile) -> bool:
    """Has this client seen (or booked) this therapist before? "Not taking new clients" does
    not turn away the therapist's own clients."""
    return (
        Booking.objects.filter(therapist=therapist, client=client)
        .exclude(status__in=(Booking.Status.CANCELLED, Booking.Status.DECLINED))
        .exists()
    )


def client_in_area(*, therapist: TherapistProfile, client: ClientProfile | None) -> bool:
    """A therapist reaches a client when the client's address is inside their radius. An
    address we cannot place is given the benefit of the doubt; the therapist sees it."""
    return therapist_reaches(therapist, client.point if client is not None else None)


def check_therapist_bookable(*, therapist: TherapistProfile, service: Service) -> None:
    if service.therapist_id != therapist.pk or not service.is_active:
        raise ServiceNotOffered()
    if not therapist.is_approved:
        raise TherapistUnavailable()


def check_intake(*, client: ClientProfile, now: dt.datetime) -> Intake:
    """The client's current intake, or a refusal: none yet, or older than the review period."""
    # The newest version, without its pain areas: this runs under the calendar lock.
    intake = Intake.objects.filter(client=client).order_by("-version").first()
    if intake is None or not (intake.consent_treatment and intake.consent_data):
        raise IntakeRequired()
    if intake.created_at < now - INTAKE_REVIEW_AFTER:
        raise IntakeOutdated()
    return intake


def check_clearance(*, intake: Intake, acknowledged: bool) -> None:
    if needs_clearance(intake=intake) and not acknowledged:
        raise ClearanceRequired()


def check_can_book(
    *,
    client: ClientProfile,
    therapist: TherapistProfile,
    service: Service,
    clearance_acknowledged: bool,
    now: dt.datetime,
) -> Intake:
    """Every rule a new visit must pass before its time is checked: the service is offered by
    an approved therapist who takes this client (new clients, area), and the client has a
    current intake with any clearance acknowledged. Returns the intake to snapshot."""
    check_therapist_bookable(therapist=therapist, service=service)
    if not therapist.accepts_new_clients and not is_existing_client(
        therapist=therapist, client=client
    ):
        raise NotAcceptingNewClients(
            _("%(name)s is not taking new clients at the moment.")
            % {"name": therapist.display_name}
        )
    if not client_in_area(therapist=therapist, client=client):
        raise OutOfArea()
    intake = check_intake(client=client, now=now)
    check_clearance(intake=intake, acknowledged=clearance_acknowledged)
    return intake


# --- Changing a visit ---------------------------------------------------------------------------


def cancellation_deadline(booking: Booking) -> dt.datetime:
    return booking.starts_at - dt.timedelta(hours=settings.BOOKING_CANCEL_CUTOFF_HOURS)


def before_cutoff(booking: Booking, *, now: dt.datetime) -> bool:
    return now < cancellation_deadline(booking)


def client_may_change(booking: Booking, *, now: dt.datetime) -> bool:
    """Can the client move or cancel this visit online (active, before the cut-off)?"""
    return booking.is_active and before_cutoff(booking, now=now)


def check_client_change(booking: Booking, *, action: str, now: dt.datetime) -> None:
    """The client (or staff acting on the client's request) changes a visit: only while it is
    active and before the cut-off."""
    if not booking.is_active:
        raise BookingChangeRefused(
            _("This visit is %(status)s; nothing was changed.")
            % {"status": str(booking.get_status_display()).lower()}
        )
    if not before_cutoff(booking, now=now):
        raise CutoffPassed(cutoff_message(action))


def client_change_refusal(
    booking: Booking, *, action: str, now: dt.datetime
) -> BookingChangeRefused | None:
    """Why the client cannot ``action`` ("cancel" or "move") this visit online now, or None:
    the pages say it before the client tries."""
    try:
        check_client_change(booking, action=action, now=now)
    except BookingChangeRefused as exc:
        return exc
    return None


def change_rules_for(role: str, *, for_client: bool) -> bool:
    """Whether the client's rules (the cut-off) apply: to the client, and to staff who act on
    the client's request. The therapist and staff acting for the business may change a
    visit at any time; the client is told why."""
    return role == CLIENT or (role == STAFF and for_client)
