"""Anonymous visitors are served kept pages (core.pagecache) that are always the page a fresh
render would give: after every kind of change, and as the clock passes the times shown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftercare.models import Feedback
from aftercare.services import feedback_comment_moderate
from booking.models import Booking
from booking.selectors import available_slots
from booking.services import booking_cancel, booking_create
from payments.models import PaymentPolicy
from tests import factories
from therapists.models import Service, TherapistProfile
from therapists.services import (
    service_save,
    time_off_add_block,
    weekly_hours_replace,
)

START = dt.datetime(2026, 12, 7, 13, 7, tzinfo=dt.UTC)  # a Monday morning in New York


@pytest.fixture
def clock(monkeypatch):
    """``timezone.now()`` for the pages, set by the test."""
    moment = {"now": START}
    monkeypatch.setattr(timezone, "now", lambda: moment["now"])
    return moment


@pytest.fixture
def world(db, clock):
    therapist = factories.TherapistProfileFactory(
        min_notice_hours=2, slug="maya-cached", display_name="Maya Cached"
    )
    service = factories.ServiceFactory(therapist=therapist, duration_minutes=60)
    weekly_hours_replace(
        therapist=therapist, ranges=[(d, dt.time(9), dt.time(17)) for d in range(7)]
    )
    other = factories.ServiceFactory(therapist__slug="sam-cached")
    weekly_hours_replace(
        therapist=other.therapist, ranges=[(d, dt.time(10), dt.time(14)) for d in range(7)]
    )
    client = factories.BookableClientFactory()
    return therapist, service, client


PAGES = {
    "directory": lambda t, s: "/therapists/?modality=myofascial&postcode=10001",
    "directory, all": lambda t, s: "/therapists/",
    "profile": lambda t, s: (
        reverse("therapists:profile", kwargs={"slug": t.slug}) + "?postcode=10001"
    ),
    # No ZIP yet: the page asks for one instead of showing times.
    "profile, no ZIP": lambda t, s: reverse("therapists:profile", kwargs={"slug": t.slug}),
    # A ZIP the therapist does not reach: says so, and who does.
    "profile, out of area": lambda t, s: (
        reverse("therapists:profile", kwargs={"slug": t.slug}) + "?postcode=90210"
    ),
    "slots API": lambda t, s: f"/api/therapists/{t.pk}/slots?service={s.pk}&days=14",
}


def served(url: str) -> bytes:
    response = Client().get(url)  # a new visitor: no session, no cookies
    assert response.status_code == 200
    return response.content


def fresh(url: str) -> bytes:
    cache.clear()
    body = served(url)
    cache.clear()
    return body


def first_free(therapist: TherapistProfile, service: Service) -> dt.datetime:
    now = timezone.now()
    return available_slots(
        therapist=therapist,
        service=service,
        start_date=now.astimezone(therapist.tz).date(),
        days=14,
        now=now,
        cached=False,
    )[0]


def test_a_kept_page_is_byte_for_byte_a_fresh_one(world):
    therapist, service, _ = world
    for name, url in PAGES.items():
        url = url(therapist, service)
        first = fresh(url)
        assert served(url) == first, name  # stores it
        assert served(url) == first, name  # from the cache


def test_the_second_visitor_costs_one_query(world):
    therapist, service, _ = world
    for name, url in PAGES.items():
        url = url(therapist, service)
        served(url)
        with CaptureQueriesContext(connection) as queries:
            served(url)
        assert len(queries) == 1, (name, [q["sql"] for q in queries.captured_queries])


CHANGES = [
    "booked",
    "cancelled",
    "hours",
    "time off",
    "price",
    "duration",
    "notice",
    "not taking new clients",
    "feedback",
    "comment approved",
    "payment terms",
    "clock past the first time",
    "clock past midnight",
    "unapproved",
]


@pytest.mark.parametrize("change", CHANGES)
def test_after_each_change_every_page_is_what_a_fresh_render_gives(world, clock, change):
    therapist, service, client = world
    urls = {name: url(therapist, service) for name, url in PAGES.items()}
    past = factories.BookingFactory(
        service=service, starts_at=START - dt.timedelta(days=3), status=Booking.Status.COMPLETED
    )
    before = {name: served(url) for name, url in urls.items()}  # kept now

    if change == "booked":
        booking_create(
            client=client,
            therapist=therapist,
            service=service,
            starts_at=first_free(therapist, service),
        )
    elif change == "cancelled":
        booking = booking_create(
            client=client,
            therapist=therapist,
            service=service,
            starts_at=first_free(therapist, service),
        )
        for url in urls.values():
            served(url)  # kept with the booking
        booking_cancel(booking=booking, actor=therapist.user)
    elif change == "hours":
        weekly_hours_replace(
            therapist=therapist, ranges=[(d, dt.time(11), dt.time(15)) for d in range(7)]
        )
    elif change == "time off":
        start = first_free(therapist, service)
        time_off_add_block(
            therapist=therapist, starts_at=start, ends_at=start + dt.timedelta(hours=5)
        )
    elif change in {"price", "duration"}:
        service_save(
            therapist=therapist,
            service=service,
            modality=service.modality,
            duration_minutes=90 if change == "duration" else service.duration_minutes,
            price=Decimal("140.00") if change == "price" else service.price,
        )
    elif change == "notice":
        therapist.min_notice_hours = 26
        therapist.save()
    elif change == "not taking new clients":
        therapist.accepts_new_clients = False
        therapist.save()
    elif change in {"feedback", "comment approved"}:
        feedback = Feedback.objects.create(
            booking=past,
            client=past.client,
            therapist=therapist,
            soreness=2,
            pressure="right",
            rating=4,
            comment="My shoulder has not felt this free in years.",
        )
        if change == "comment approved":
            for url in urls.values():
                served(url)  # kept with the rating, comment still unreviewed
            feedback_comment_moderate(feedback=feedback, approve=True)
    elif change == "payment terms":
        PaymentPolicy.objects.update_or_create(
            therapist=therapist, defaults={"no_show_percent": 100, "late_cancel_percent": 75}
        )
    elif change == "clock past the first time":
        clock["now"] = (
            first_free(therapist, service) - dt.timedelta(hours=2) + dt.timedelta(seconds=1)
        )
    elif change == "clock past midnight":
        clock["now"] = START + dt.timedelta(days=1)
    elif change == "unapproved":
        therapist.approval = TherapistProfile.Approval.REJECTED
        therapist.save()

    if change == "unapproved":
        for name in ("profile", "profile, no ZIP", "profile, out of area", "slots API"):
            assert Client().get(urls[name]).status_code == 404, name
        urls = {name: urls[name] for name in ("directory", "directory, all")}
    kept = {name: served(url) for name, url in urls.items()}  # all read before any clear
    renewed = {name: fresh(url) for name, url in urls.items()}
    for name in urls:
        assert kept[name] == renewed[name], f"{name} after {change}"
    if change in {"booked", "hours", "time off", "duration", "notice", "clock past the first time"}:
        changed = {name for name in urls if before[name] != renewed[name]}
        assert {"profile", "slots API"} <= changed, change  # the change is visible
    if change in {"feedback", "comment approved"}:
        assert before["profile"] != renewed["profile"]


def test_someone_signed_in_is_never_served_a_kept_page(world):
    therapist, _, client = world
    url = reverse("therapists:profile", kwargs={"slug": therapist.slug})
    anonymous = served(url)
    assert b"csrfmiddlewaretoken" not in anonymous and b"X-CSRFToken" not in anonymous
    http = Client()
    http.force_login(client.user)
    signed_in = http.get(url)
    assert signed_in.status_code == 200
    assert b"X-CSRFToken" in signed_in.content  # rendered for them, with their token
    assert signed_in.content != anonymous
