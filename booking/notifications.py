"""E-mails about a booking, and the day-before reminder.

``booking_notify`` is called by every service in ``booking.services`` right after it records a
change, inside its transaction. It renders the messages there and hands them to
``accounts.mail.send_after_commit``: a change that rolls back sends nothing.

- The client gets an e-mail (text and HTML) for every kind, with an ``.ics`` that adds,
  updates or removes one calendar event (UID ``booking.ical_uid``, SEQUENCE
  ``booking.sequence``; METHOD:CANCEL once declined or cancelled), and signed links to move or
  cancel the visit without logging in.
- The therapist gets a short note for a new booking, and for a cancellation or a move they did
  not make themselves, with an ``.ics`` that carries no health data.
- A confirmed visit gets the "visit tomorrow" reminder through aftercare's
  ``reminder_schedule``, re-timed when the visit moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.mail import send_after_commit
from booking.ics import booking_ics
from booking.links import absolute, manage_url
from booking.models import Booking, BookingEvent
from booking.templatetags.booking_tags import local_label, zone_for

KINDS = ("received", "confirmed", "declined", "cancelled", "rescheduled")

# What to get ready for a home visit (CARE.md "In-home visits", "Pressure", "Soreness and
# aftercare", "When not to treat"). Shown on the review page, the visit page, the e-mails and
# the day-before reminder.
PREPARE_AT_HOME = [
    gettext_lazy(
        "Check your address and access notes (parking, stairs or lift, pets, entry code) so "
        "your therapist can get in on time."
    ),
    gettext_lazy(
        "Clear a space about 2 by 3 metres (7 by 10 feet) for the massage table, with room to "
        "walk around it."
    ),
    gettext_lazy(
        "Set the room the way you like it: warm, with the light, music or scents that help "
        "you relax."
    ),
    gettext_lazy(
        "Have water to hand: drink plenty after the visit, that day and the next, unless a "
        "doctor has told you otherwise."
    ),
    gettext_lazy(
        "Tell your therapist about the pressure you like, before and during the session. Some "
        "discomfort is normal, but say so if it goes past about 7 out of 10."
    ),
    gettext_lazy(
        "No alcohol before the visit, and tell your therapist if your health has changed "
        "(a fever, a recent injury or surgery, new medication)."
    ),
]

# The day-before reminder goes out at this local hour on the day before the visit.
REMINDER_HOUR = 18


def policy_text() -> str:
    return _(
        "You can move or cancel this visit online up to %(hours)s hours before it starts. "
        "After that, please contact your therapist directly."
    ) % {"hours": settings.BOOKING_CANCEL_CUTOFF_HOURS}


@dataclass(frozen=True)
class Change:
    """The change being announced: the last event on the booking."""

    action: str
    by_therapist: bool
    previous_start: datetime | None


def _last_change(booking: Booking) -> Change:
    event: BookingEvent | None = booking.events.order_by("-at", "-pk").first()
    if event is None:
        return Change(action="", by_therapist=False, previous_start=None)
    return Change(
        action=event.action,
        by_therapist=event.actor_id is not None and event.actor_id == booking.therapist.user_id,
        previous_start=event.from_starts_at if event.action == "rescheduled" else None,
    )


def _optional_url(name: str, **kwargs: Any) -> str:
    try:
        return absolute(reverse(name, kwargs=kwargs or None))
    except NoReverseMatch:
        return ""


def _client_context(booking: Booking, kind: str, change: Change) -> dict[str, Any]:
    client = booking.client
    therapist = booking.therapist
    when = local_label(booking.starts_at, client)
    ends = local_label(booking.ends_at, client, "H:i T")
    context: dict[str, Any] = {
        "kind": kind,
        "booking": booking,
        "name": client.user.first_name or client.user.display_name,
        "therapist": therapist.display_name,
        "therapist_email": therapist.user.email,
        "service": str(booking.service),
        "when": when,
        "ends": ends,
        "previous_when": (
            local_label(change.previous_start, client) if change.previous_start else ""
        ),
        "address": booking.address,
        "access_notes": booking.access_notes,
        "price": booking.price,
        "reason": booking.status_reason,
        "is_active": booking.is_active,
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
        context["reschedule_url"] = absolute(manage_url(booking_id=booking.pk, action="reschedule"))
        context["cancel_url"] = absolute(manage_url(booking_id=booking.pk, action="cancel"))
    headlines = {
        "received": (
            _("Your request is with %(therapist)s") % {"therapist": therapist.display_name},
            _(
                "%(therapist)s confirms or declines within 24 hours. The time is held for you "
                "until then, and we e-mail you as soon as they answer."
            )
            % {"therapist": therapist.display_name},
        ),
        "confirmed": (
            _("Your visit is confirmed"),
            _("%(therapist)s will come to you at the time below.")
            % {"therapist": therapist.display_name},
        ),
        "declined": (
            _("%(therapist)s cannot take this visit") % {"therapist": therapist.display_name},
            _("Nothing is booked and nothing is charged. You can choose another time below."),
        ),
        "cancelled": (
            _("Your visit is cancelled"),
            _("Nothing is booked any more for this time.")
            if not change.by_therapist
            else _("%(therapist)s had to cancel this visit. We are sorry.")
            % {"therapist": therapist.display_name},
        ),
        "rescheduled": (
            _("Your visit has moved"),
            _("It was %(previous)s. The new time is below.")
            % {"previous": context["previous_when"]}
            if change.previous_start
            else _("The new time is below."),
        ),
    }
    context["headline"], context["intro"] = headlines[kind]
    return context


def _client_subject(booking: Booking, kind: str) -> str:
    when = local_label(booking.starts_at, booking.client)
    values = {"service": booking.service, "therapist": booking.therapist.display_name, "when": when}
    subjects = {
        "received": _("Request sent: %(service)s with %(therapist)s, %(when)s"),
        "confirmed": _("Confirmed: %(service)s with %(therapist)s, %(when)s"),
        "declined": _("Not confirmed: your visit request for %(when)s"),
        "cancelled": _("Cancelled: your visit on %(when)s"),
        "rescheduled": _("Moved: your visit is now %(when)s"),
    }
    return subjects[kind] % values


def _attach_ics(message: EmailMultiAlternatives, ics: str) -> None:
    # Plain "text/calendar": Django builds the MIME part from the type, and parameters in it
    # would break the header. Calendar apps read METHOD from the file itself.
    message.attach("homeknots-visit.ics", ics, "text/calendar")


def client_message(booking: Booking, kind: str, change: Change) -> EmailMultiAlternatives:
    context = _client_context(booking, kind, change)
    text = render_to_string("emails/booking/client.txt", context)
    html = render_to_string("emails/booking/client.html", context)
    message = EmailMultiAlternatives(
        subject=_client_subject(booking, kind),
        body=text,
        to=[booking.client.user.email],
        reply_to=[booking.therapist.user.email],
    )
    message.attach_alternative(html, "text/html")
    description = "\n".join(
        part
        for part in (
            _("%(service)s with %(therapist)s")
            % {"service": context["service"], "therapist": context["therapist"]},
            _("Your visit: %(url)s") % {"url": context["detail_url"]},
            context["policy"],
        )
        if part
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


def _therapist_kind(kind: str, change: Change) -> str | None:
    """What the therapist hears about: new bookings, and moves or cancellations by others."""
    if kind in ("received", "confirmed") and change.action == "created":
        return "new"
    if kind in ("cancelled", "rescheduled") and not change.by_therapist:
        return kind
    return None


def therapist_message(booking: Booking, kind: str, change: Change) -> EmailMultiAlternatives:
    therapist = booking.therapist
    client_name = booking.client.user.first_name or _("your client")
    when = local_label(booking.starts_at, therapist)
    visit_url = _optional_url("therapists:visit", pk=booking.pk)
    values = {"client": client_name, "when": when}
    subjects = {
        "new": _("New visit: %(client)s, %(when)s"),
        "cancelled": _("Cancelled: %(client)s, %(when)s"),
        "rescheduled": _("Moved: %(client)s is now %(when)s"),
    }
    subject = subjects[kind] % values
    if kind == "new" and booking.status == Booking.Status.PENDING:
        subject = _("Please confirm: %(client)s, %(when)s") % values
    context = {
        "kind": kind,
        "booking": booking,
        "name": therapist.user.first_name or therapist.display_name,
        "client": client_name,
        "service": str(booking.service),
        "when": when,
        "ends": local_label(booking.ends_at, therapist, "H:i T"),
        "previous_when": (
            local_label(change.previous_start, therapist) if change.previous_start else ""
        ),
        "address": booking.address,
        "access_notes": booking.access_notes,
        "reason": booking.status_reason,
        "pending": booking.status == Booking.Status.PENDING,
        "expires": local_label(booking.expires_at, therapist) if booking.expires_at else "",
        "visit_url": visit_url,
        "site_name": "HomeKnots",
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/booking/therapist.txt", context),
        to=[therapist.user.email],
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


def reminder_due_at(booking: Booking) -> datetime:
    """18:00 on the day before the visit, where the client lives."""
    tz = zone_for(booking.client)
    day_before = timezone.localtime(booking.starts_at, tz).date() - timedelta(days=1)
    return datetime.combine(day_before, datetime.min.time().replace(hour=REMINDER_HOUR), tz)


def _schedule_day_before(booking: Booking, *, now: datetime | None = None) -> None:
    """Schedule (or re-time) the "visit tomorrow" reminder of a confirmed visit."""
    try:
        from aftercare.models import Reminder
        from aftercare.services import reminder_schedule
    except ImportError:  # the aftercare app is optional for booking to work
        return
    now = now or timezone.now()
    due_at = reminder_due_at(booking)
    if due_at <= now:
        # Booked too late for a reminder the day before: the confirmation says it all.
        return
    client = booking.client
    context = {
        "name": client.user.first_name or client.user.display_name,
        "therapist": booking.therapist.display_name,
        "service": str(booking.service),
        "when": local_label(booking.starts_at, client),
        "address": booking.address,
        "access_notes": booking.access_notes,
        "prepare": [str(line) for line in PREPARE_AT_HOME],
        "detail_url": absolute(reverse("booking:detail", kwargs={"pk": booking.pk})),
        "site_name": "HomeKnots",
    }
    body = render_to_string("emails/booking/visit_tomorrow.txt", context).strip()
    subject = _("Tomorrow: %(service)s with %(therapist)s, %(when)s") % {
        "service": context["service"],
        "therapist": context["therapist"],
        "when": context["when"],
    }
    reminder_schedule(
        client=client,
        kind=Reminder.Kind.VISIT_TOMORROW,
        due_at=due_at,
        booking=booking,
        subject=subject,
        body=body,
        now=now,
    )


def booking_notify(*, booking: Booking, kind: str) -> None:
    """Send what ``kind`` of change calls for (see the module docstring)."""
    if kind not in KINDS:
        raise ValueError(f"unknown booking notification {kind!r}")
    booking = Booking.objects.select_related(
        "client__user", "therapist__user", "service__modality"
    ).get(pk=booking.pk)
    change = _last_change(booking)
    send_after_commit(client_message(booking, kind, change))
    therapist_kind = _therapist_kind(kind, change)
    if therapist_kind is not None:
        send_after_commit(therapist_message(booking, therapist_kind, change))
    if booking.status == Booking.Status.CONFIRMED and kind in ("confirmed", "rescheduled"):
        _schedule_day_before(booking)
