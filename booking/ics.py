"""The .ics attached to booking e-mails: one calendar event per booking that later e-mails
update (same UID, higher SEQUENCE) or cancel (METHOD:CANCEL).

What goes in: time, place, service, who; never anything from the health intake. The therapist's
copy has the client's first name and the access notes they need to get in, nothing more.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from booking.models import Booking

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"

# A booking that no longer holds its time removes the event from the calendar.
CANCELLING_STATUSES = (Booking.Status.CANCELLED, Booking.Status.DECLINED)


def method_for(booking: Booking) -> str:
    return METHOD_CANCEL if booking.status in CANCELLING_STATUSES else METHOD_REQUEST


def _status(booking: Booking) -> str:
    if booking.status in CANCELLING_STATUSES:
        return "CANCELLED"
    if booking.status == Booking.Status.PENDING:
        return "TENTATIVE"
    return "CONFIRMED"


def booking_ics(
    *,
    booking: Booking,
    summary: str,
    description: str,
    attendee_email: str,
    attendee_name: str = "",
    now: datetime | None = None,
) -> str:
    """The iCalendar text for ``booking`` as seen by one attendee."""
    now = now or timezone.now()
    method = method_for(booking)
    cal = Calendar()
    cal.add("prodid", "-//HomeKnots//Booking//EN")
    cal.add("version", "2.0")
    cal.add("method", method)

    event = Event()
    event.add("uid", booking.ical_uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", booking.address)
    event.add("status", _status(booking))
    event.add("transp", "OPAQUE")

    _name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{from_address}")
    organizer.params["cn"] = vText("HomeKnots")
    event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{attendee_email}")
    if attendee_name:
        attendee.params["cn"] = vText(attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    return cal.to_ical().decode()
