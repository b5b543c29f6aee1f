"""The therapist's private iCalendar feed.

Calendar apps copy what they subscribe to onto phones and into other companies' clouds, so
an event carries only what a therapist needs on the road: the client's first name, the
service, the address and a link back here. Nothing from the health intake, ever."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from booking.models import Booking
from therapists.models import TherapistProfile, TimeOff

STATUS: dict[str, str] = {
    Booking.Status.PENDING: "TENTATIVE",
    Booking.Status.CONFIRMED: "CONFIRMED",
    Booking.Status.COMPLETED: "CONFIRMED",
}


def therapist_feed(
    *,
    therapist: TherapistProfile,
    bookings: Sequence[Booking],
    time_off: Sequence[TimeOff],
    absolute: Callable[[str], str],
) -> bytes:
    now = timezone.now()
    cal = Calendar()
    cal.add("prodid", "-//HomeKnots//Therapist calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("HomeKnots visits"))
    cal.add("x-wr-timezone", therapist.time_zone)
    # Ask subscribers to refresh hourly (Apple and Outlook honour one or the other).
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for booking in bookings:
        link = absolute(reverse("therapists:visit", kwargs={"pk": booking.pk}))
        first_name = booking.client.user.first_name or _("Client")
        event = Event()
        event.add("uid", booking.ical_uid)
        event.add("sequence", booking.sequence)
        event.add("dtstamp", now)
        event.add("last-modified", booking.updated_at)
        event.add("dtstart", booking.starts_at)
        event.add("dtend", booking.ends_at)
        event.add("summary", f"{first_name} · {booking.service}")
        event.add("location", booking.address)
        event.add(
            "description",
            "\n".join(
                [
                    f"{_('Client')}: {first_name}",
                    f"{_('Service')}: {booking.service}",
                    f"{_('Address')}: {booking.address}",
                    f"{_('Status')}: {booking.get_status_display()}",
                    f"{_('Visit page')}: {link}",
                ]
            ),
        )
        event.add("url", link)
        event.add("status", STATUS.get(booking.status, "CONFIRMED"))
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    for block in time_off:
        event = Event()
        event.add("uid", f"timeoff-{block.pk}@homeknots")
        event.add("dtstamp", now)
        event.add("dtstart", block.starts_at)
        event.add("dtend", block.ends_at)
        event.add("summary", block.reason or _("Time off"))
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
