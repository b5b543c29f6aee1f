"""Every date and time a person reads comes from core.timefmt: the main pages and every e-mail,
on the demo data, are scanned for any other way of writing one (Django's defaults, zone
abbreviations, zone keys, day-before-month, 24-hour clocks, ISO dates)."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from aftercare.dispatch import build_message
from aftercare.models import Reminder
from booking.models import Booking
from booking.selectors import available_slots
from booking.services import booking_cancel, booking_create, booking_reschedule
from therapists.models import TherapistProfile

pytestmark = pytest.mark.django_db

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
NOT_OURS = {
    "Django's a.m./p.m.": re.compile(r"\b[ap]\.m\."),
    "an abbreviated month with a dot": re.compile(rf"\b{MONTH}\. \d"),
    "a zone abbreviation": re.compile(r"\b(?:EST|EDT|CST|CDT|MST|MDT|PST|PDT|AKST|AKDT|HST)\b"),
    "a zone key": re.compile(r"\b(?:America|Europe|Pacific|Asia|Africa|Australia)/[A-Z]\w+"),
    "the day before the month": re.compile(rf"\b{WEEKDAY} \d{{1,2}} {MONTH}"),
    "the month without a comma after the weekday": re.compile(rf"\b{WEEKDAY} {MONTH}"),
    "an ISO date": re.compile(r"\b20\d\d-\d\d-\d\d\b"),
    "midnight or noon as 00/12-hour 24h": re.compile(r"\b(?:0\d|1[3-9]|2[0-3]):[0-5]\d\b"),
}
CLOCK = re.compile(r"\b\d{1,2}:[0-5]\d\b")
# A clock time is followed by AM/PM, or is the first half of a range that ends with one.
CLOCK_OK_AFTER = re.compile(r"^(?: ?[AP]M\b|–\d{1,2}:[0-5]\d [AP]M\b)")


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attribute values."""
    page = re.sub(r"(?is)<(script|style|svg)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return htmllib.unescape(page)


def problems_in(text: str) -> list[str]:
    found = [
        f"{name}: {m.group()!r} in …{text[max(0, m.start() - 40) : m.end() + 40]!r}…"
        for name, pattern in NOT_OURS.items()
        for m in pattern.finditer(text)
    ]
    for m in CLOCK.finditer(text):
        if not CLOCK_OK_AFTER.match(text[m.end() : m.end() + 12]):
            around = text[max(0, m.start() - 40) : m.end() + 40]
            found.append(f"a clock time without AM/PM: …{around!r}…")
    return found


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def _pages_for(user: User | None) -> dict[str, str]:
    client = Client()
    if user is not None:
        client.force_login(user)
    urls = ["/", "/therapists/", "/dashboard/"] if user else ["/", "/therapists/"]
    for therapist in TherapistProfile.objects.all()[:3]:
        urls.append(therapist.get_absolute_url())
    if user is not None and user.role == User.Role.CLIENT:
        urls += ["/me/intake/history/", "/book/"]
        for booking in Booking.objects.filter(client__user=user):
            urls.append(f"/visits/{booking.pk}/")
        intake = user.client_profile.intakes.order_by("-version").first()
        if intake is not None:
            urls.append(intake.get_absolute_url())
        first = Booking.objects.filter(client__user=user).first()
        if first is not None:
            urls.append(f"/book/?therapist={first.therapist_id}&service={first.service_id}")
    if user is not None and user.role == User.Role.THERAPIST:
        urls += ["/therapists/me/hours/", "/therapists/me/calendar/"]
        for booking in Booking.objects.filter(therapist__user=user)[:6]:
            urls.append(f"/therapists/visits/{booking.pk}/")
    pages: dict[str, str] = {}
    for url in urls:
        response = client.get(url, follow=True)
        if response.status_code == 200:
            pages[url] = response.content.decode()
    return pages


def test_the_pages_write_every_time_the_one_way(demo):
    users = [
        None,
        User.objects.get(email="client@homeknots.example"),
        User.objects.get(email="new.client@homeknots.example"),
        User.objects.get(email="maya@homeknots.example"),
    ]
    scanned, problems = 0, []
    for user in users:
        for url, page in _pages_for(user).items():
            scanned += 1
            problems += [f"{url}: {p}" for p in problems_in(visible_text(page))]
    assert scanned >= 15
    assert not problems, "\n".join(problems)


def _book_move_and_cancel(commit) -> None:
    """A new visit for the demo client, moved, then cancelled: each sends e-mails."""
    client = User.objects.get(email="client@homeknots.example").client_profile
    therapist = TherapistProfile.objects.get(user__email="maya@homeknots.example")
    service = therapist.services.filter(is_active=True).first() or therapist.services.first()
    slots = available_slots(
        therapist=therapist, service=service, start_date=timezone.localdate(), days=14
    )
    with commit(execute=True):
        booking = booking_create(
            client=client,
            therapist=therapist,
            service=service,
            starts_at=slots[-1],
            clearance_acknowledged=True,
        )
    with commit(execute=True):
        booking = booking_reschedule(booking=booking, actor=client.user, starts_at=slots[-2])
    with commit(execute=True):
        booking_cancel(booking=booking, actor=client.user, reason="Away that week")


def test_the_e_mails_write_every_time_the_one_way(demo, django_capture_on_commit_callbacks):
    _book_move_and_cancel(django_capture_on_commit_callbacks)
    messages = list(mail.outbox)
    # Every reminder of the demo, as it would be written when due.
    now = timezone.now()
    for reminder in Reminder.objects.select_related("booking", "client__user"):
        try:
            messages.append(build_message(reminder, now=max(now, reminder.due_at)))
        except (ValueError, LookupError):
            continue  # a kind that is no longer sent for this visit
    assert len(messages) >= 8
    problems = []
    for message in messages:
        parts = [message.subject, message.body]
        parts += [visible_text(str(c)) for c, kind in getattr(message, "alternatives", [])]
        parts += [
            str(content)
            for _name, content, _kind in message.attachments
            if isinstance(content, str) and "DESCRIPTION" in content
        ]
        for part in parts:
            problems += [f"{message.subject}: {p}" for p in problems_in(part)]
    assert not problems, "\n".join(problems)


def test_the_scan_catches_what_django_writes_by_default():
    assert problems_in("Nov. 29, 2026, 9 a.m.")
    assert problems_in("Mon 30 Nov, 09:00 EST")
    assert problems_in("New York time (America/New_York)")
    assert problems_in("at 14:30")
    assert not problems_in("Mon, Nov 30, 9:00–10:00 AM Eastern Time")
    assert not problems_in("Tue, Dec 1, 11:30 AM–1:00 PM")
