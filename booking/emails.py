"""E-mails about a booking: one builder per recipient, one template each, built from facts.

Every change to a booking writes a :class:`booking.models.BookingEvent` (status, time and
calendar SEQUENCE *after* the change). ``enqueue_for_event`` is called in the same transaction
and puts one outbox row per recipient (``core.outbox``) whose facts are the event's id; the
builders below render the message after commit, from that event, so the e-mail describes the
change it announces even if it is sent late, and nothing is rendered while the therapist's
calendar is locked.

- The client gets an e-mail (text and HTML) for every change, with an ``.ics`` that adds,
  updates or removes one calendar event (UID ``booking.ical_uid``, SEQUENCE from the event;
  METHOD:CANCEL once declined or cancelled), and signed links to move or cancel the visit.
- The therapist gets a short note for a new booking, and for a cancellation or a move they did
  not make themselves, with an ``.ics`` that carries no health data.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from booking import checkout
from booking.ics import booking_ics
from booking.links import manage_url
from booking.models import Booking, BookingEvent
from booking.privacy import health_view
from booking.wording import PREPARE_AT_HOME, policy_text
from clients.models import IntakeAccessLog
from core import outbox
from core.links import absolute
from core.timefmt import TIME_FORMAT, format_range, local_label, with_zone

CLIENT_KIND = "booking.client"
THERAPIST_KIND = "booking.therapist"

# What the client hears about each action (the event's action → the e-mail's kind).
CLIENT_NOTICE = {
    "created": None,  # by the status the booking was created in (see _client_notice)
    "confirmed": "confirmed",
    "clearance_recorded": "cleared",
    "declined": "declined",
    "expired": "declined",
    "cancelled": "cancelled",
    "rescheduled": "rescheduled",
}


def _client_notice(event: BookingEvent) -> str | None:
    if event.action == "created":
        first: dict[str, str] = {
            Booking.Status.PENDING: "received",
            Booking.Status.AWAITING_CLEARANCE: "awaiting_clearance",
        }
        return first.get(event.to_status, "confirmed")
    return CLIENT_NOTICE.get(event.action)


def _by_therapist(event: BookingEvent, booking: Booking) -> bool:
    return event.actor_id is not None and event.actor_id == booking.therapist.user_id


def _therapist_notice(event: BookingEvent, booking: Booking) -> str | None:
    """New bookings, and moves or cancellations the therapist did not make themselves."""
    if event.action == "created":
        return "new"
    if event.action in ("cancelled", "rescheduled") and not _by_therapist(event, booking):
        return event.action
    return None


def enqueue_for_event(*, booking: Booking, event: BookingEvent) -> None:
    """In the change's transaction: one outbox row for each person who hears about it."""
    facts = {"event": event.pk}
    if _client_notice(event) is not None:
        outbox.enqueue(
            kind=CLIENT_KIND,
            to=booking.client.user.email,
            facts=facts,
            key=f"booking-event:{event.pk}:client",
        )
    if _therapist_notice(event, booking) is not None:
        outbox.enqueue(
            kind=THERAPIST_KIND,
            to=booking.therapist.user.email,
            facts=facts,
            key=f"booking-event:{event.pk}:therapist",
        )


def _event(facts: dict[str, Any]) -> tuple[BookingEvent, Booking]:
    """The event and the booking as it stood right after it (status, times, SEQUENCE)."""
    event = BookingEvent.objects.select_related(
        "booking__client__user",
        "booking__therapist__user",
        "booking__service__modality",
        "booking__intake",
    ).get(pk=facts["event"])
    booking = copy.copy(event.booking)
    duration = booking.duration
    booking.status = event.to_status or booking.status
    if event.to_starts_at is not None:
        booking.starts_at = event.to_starts_at
        booking.ends_at = event.to_starts_at + duration
    booking.sequence = event.sequence
    booking.status_reason = event.note
    return event, booking


def _attach_ics(message: EmailMultiAlternatives, ics: str) -> None:
    # Plain "text/calendar": Django builds the MIME part from the type, and parameters in it
    # would break the header. Calendar apps read METHOD from the file itself.
    message.attach("homeknots-visit.ics", ics, "text/calendar")


def _client_context(booking: Booking, notice: str, event: BookingEvent) -> dict[str, Any]:
    client = booking.client
    therapist = booking.therapist
    by_therapist = _by_therapist(event, booking)
    previous = event.from_starts_at if event.action == "rescheduled" else None
    context: dict[str, Any] = {
        "kind": notice,
        "booking": booking,
        "name": client.user.first_name or client.user.display_name,
        "therapist": therapist.display_name,
        "therapist_email": therapist.user.email,
        "service": str(booking.service),
        "when": local_label(booking.starts_at, client),
        "ends": local_label(booking.ends_at, client, TIME_FORMAT),
        # The zone named once, in words, after the visit's time.
        "when_range": with_zone(format_range(booking.starts_at, booking.ends_at, client), client),
        "previous_when": local_label(previous, client) if previous else "",
        "address": booking.address,
        "access_notes": booking.access_notes,
        "price": booking.price,
        "reason": booking.status_reason,
        "is_active": booking.is_active,
        "clearance_conditions": _clearance_conditions(booking)
        if notice == "awaiting_clearance"
        else [],
        "prepare": [str(line) for line in PREPARE_AT_HOME] if booking.is_active else [],
        "policy": policy_text(),
        "dashboard_url": absolute(reverse("dashboard")),
        "detail_url": absolute(reverse("booking:detail", kwargs={"pk": booking.pk})),
        "book_again_url": absolute(
            f"{reverse('booking:start')}?"
            + urlencode({"therapist": therapist.pk, "service": booking.service_id})
        ),
        "site_name": "HomeKnots",
    }
    if booking.is_active:
        # How and when they pay, from the registered checkout (payments), on the terms agreed.
        context["how_you_pay"] = checkout.current().expectation(
            therapist=therapist, service=booking.service, booking=booking
        )
        context["reschedule_url"] = absolute(manage_url(booking_id=booking.pk, action="reschedule"))
        context["cancel_url"] = absolute(manage_url(booking_id=booking.pk, action="cancel"))
    name = therapist.display_name
    headlines = {
        "received": (
            _("Your request is with %(therapist)s") % {"therapist": name},
            _(
                "%(therapist)s confirms or declines within 24 hours. The time is held for you "
                "until then, and we e-mail you as soon as they answer."
            )
            % {"therapist": name},
        ),
        "confirmed": (
            _("Your visit is confirmed"),
            _("%(therapist)s will come to you at the time below.") % {"therapist": name},
        ),
        "awaiting_clearance": (
            _("Your visit is booked, waiting for your doctor's clearance"),
            _(
                "Because of your health answers, please get your doctor's clearance before "
                "this visit and show it to %(therapist)s (or tell them what your doctor said). "
                "%(therapist)s confirms the visit once they have seen it; the time is held for "
                "you until then."
            )
            % {"therapist": name},
        ),
        "cleared": (
            _("Your visit is confirmed"),
            _(
                "%(therapist)s has noted your doctor's clearance and will come to you at the "
                "time below."
            )
            % {"therapist": name},
        ),
        "declined": (
            _("%(therapist)s cannot take this visit") % {"therapist": name},
            _("Nothing is booked and nothing is charged. You can choose another time below."),
        ),
        "cancelled": (
            _("Your visit is cancelled"),
            _("%(therapist)s had to cancel this visit. We are sorry.") % {"therapist": name}
            if by_therapist
            else _("Nothing is booked any more for this time."),
        ),
        "rescheduled": (
            _("Your visit has moved"),
            _("It was %(previous)s. The new time is below.")
            % {"previous": context["previous_when"]}
            if previous
            else _("The new time is below."),
        ),
    }
    context["headline"], context["intro"] = headlines[notice]
    return context


def _clearance_conditions(booking: Booking) -> list[str]:
    """What needs the doctor's clearance, in the client's own words (their own e-mail)."""
    if booking.intake is None:
        return []
    return [str(label) for label in booking.intake.screening_labels]


def _client_subject(booking: Booking, notice: str) -> str:
    values = {
        "service": booking.service,
        "therapist": booking.therapist.display_name,
        "when": local_label(booking.starts_at, booking.client),
    }
    subjects = {
        "received": _("Request sent: %(service)s with %(therapist)s, %(when)s"),
        "awaiting_clearance": _("Clearance needed: %(service)s with %(therapist)s, %(when)s"),
        "confirmed": _("Confirmed: %(service)s with %(therapist)s, %(when)s"),
        "cleared": _("Confirmed: %(service)s with %(therapist)s, %(when)s"),
        "declined": _("Not confirmed: your visit request for %(when)s"),
        "cancelled": _("Cancelled: your visit on %(when)s"),
        "rescheduled": _("Moved: your visit is now %(when)s"),
    }
    return subjects[notice] % values


@outbox.builder(CLIENT_KIND)
def client_message(facts: dict[str, Any], to: str) -> EmailMultiAlternatives:
    event, booking = _event(facts)
    notice = _client_notice(event)
    if notice is None:
        raise ValueError(f"event {event.pk} ({event.action}) is not announced to the client")
    context = _client_context(booking, notice, event)
    message = EmailMultiAlternatives(
        subject=_client_subject(booking, notice),
        body=render_to_string("emails/booking/client.txt", context),
        to=[to],
        reply_to=[booking.therapist.user.email],
    )
    message.attach_alternative(render_to_string("emails/booking/client.html", context), "text/html")
    description = "\n".join(
        (
            _("%(service)s with %(therapist)s")
            % {"service": context["service"], "therapist": context["therapist"]},
            _("Your visit: %(url)s") % {"url": context["detail_url"]},
            context["policy"],
        )
    )
    _attach_ics(
        message,
        booking_ics(
            booking=booking,
            summary=_("Trigger point massage with %(therapist)s")
            % {"therapist": context["therapist"]},
            description=description,
            attendee_email=booking.client.user.email,
            attendee_name=booking.client.user.get_full_name(),
        ),
    )
    return message


def _contact_for_therapist(booking: Booking, event: BookingEvent) -> dict[str, str] | None:
    """The client's phone and emergency contact, when the visit is inside the therapist's care
    window as the e-mail goes (the health-data rule; the look is logged)."""
    if not booking.is_active:
        return None
    access = health_view(
        user=booking.therapist.user,
        client=booking.client,
        record=IntakeAccessLog.Record.CONTACT,
        context=f"email:event {event.pk}",
    )
    if not access:
        return None
    client = booking.client
    return {
        "phone": client.phone,
        "emergency": ", ".join(
            part for part in (client.emergency_contact_name, client.emergency_contact_phone) if part
        ),
    }


@outbox.builder(THERAPIST_KIND)
def therapist_message(facts: dict[str, Any], to: str) -> EmailMultiAlternatives:
    event, booking = _event(facts)
    notice = _therapist_notice(event, booking)
    if notice is None:
        raise ValueError(f"event {event.pk} ({event.action}) is not announced to the therapist")
    therapist = booking.therapist
    client_name = booking.client.user.first_name or _("your client")
    when = local_label(booking.starts_at, therapist)
    visit_url = absolute(reverse("therapists:visit", kwargs={"pk": booking.pk}))
    previous = event.from_starts_at if event.action == "rescheduled" else None
    values = {"client": client_name, "when": when}
    subjects = {
        "new": _("New visit: %(client)s, %(when)s"),
        "cancelled": _("Cancelled: %(client)s, %(when)s"),
        "rescheduled": _("Moved: %(client)s is now %(when)s"),
    }
    subject = subjects[notice] % values
    pending = booking.status == Booking.Status.PENDING
    awaiting_clearance = booking.status == Booking.Status.AWAITING_CLEARANCE
    if notice == "new" and pending:
        subject = _("Please confirm: %(client)s, %(when)s") % values
    elif notice == "new" and awaiting_clearance:
        subject = _("Clearance needed: %(client)s, %(when)s") % values
    context = {
        "kind": notice,
        "booking": booking,
        "name": therapist.user.first_name or therapist.display_name,
        "client": client_name,
        "service": str(booking.service),
        "when": when,
        "ends": local_label(booking.ends_at, therapist, TIME_FORMAT),
        "when_range": with_zone(
            format_range(booking.starts_at, booking.ends_at, therapist), therapist
        ),
        "previous_when": local_label(previous, therapist) if previous else "",
        "address": booking.address,
        "access_notes": booking.access_notes,
        "reason": booking.status_reason,
        "pending": pending,
        "awaiting_clearance": awaiting_clearance,
        "expires": local_label(booking.expires_at, therapist) if booking.expires_at else "",
        "visit_url": visit_url,
        "site_name": "HomeKnots",
        "contact": _contact_for_therapist(booking, event),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/booking/therapist.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string("emails/booking/therapist.html", context), "text/html"
    )
    # No health data here: a calendar entry is copied to phones and shared calendars.
    description = "\n".join(
        part
        for part in (
            str(booking.service),
            _("Access: %(notes)s") % {"notes": booking.access_notes}
            if booking.access_notes
            else "",
            visit_url,
        )
        if part
    )
    _attach_ics(
        message,
        booking_ics(
            booking=booking,
            summary=_("Visit: %(client)s · %(service)s")
            % {"client": client_name, "service": booking.service},
            description=description,
            attendee_email=therapist.user.email,
            attendee_name=therapist.display_name,
        ),
    )
    return message
