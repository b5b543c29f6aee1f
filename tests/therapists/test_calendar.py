"""The therapist's calendar JSON, the iCalendar feed, the visit page and the dashboard panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from icalendar import Calendar

from booking.models import Booking
from clients.models import Intake, IntakeAccessLog
from tests import factories
from therapists.models import TimeOff
from therapists.selectors import therapist_profile_of

pytestmark = pytest.mark.django_db

HEALTH_WORDS = ["Warfarin", "fibromyalgia", "Fibromyalgia", "pregnan", "Pregnan", "knee surgery"]


@pytest.fixture
def me():
    return factories.TherapistProfileFactory()


@pytest.fixture
def sensitive_booking(me):
    """A visit whose client told us a lot about their health."""
    intake = factories.IntakeFactory(
        client__user__first_name="Dana",
        client__user__last_name="Whitfield",
        reasons=[Intake.Reason.FIBROMYALGIA],
        screening=[Intake.Screening.BLOOD_THINNERS, Intake.Screening.PREGNANCY],
        medications="Warfarin 5 mg",
        other_notes="Had knee surgery in 2019.",
        goals="Sleep through the night",
    )
    factories.PainAreaFactory(intake=intake)
    return factories.BookingFactory(
        client=intake.client,
        intake=intake,
        service=factories.ServiceFactory(therapist=me),
        starts_at=(timezone.now() + dt.timedelta(days=2)).replace(
            hour=15, minute=0, second=0, microsecond=0
        ),
        access_notes="Side door, dog is friendly.",
    )


def test_it_lists_bookings_time_off_and_working_hours_in_the_therapists_zone(client, me):
    booking = factories.BookingFactory(
        service=factories.ServiceFactory(therapist=me),
        client__user__first_name="Ravi",
        starts_at=dt.datetime(2030, 6, 4, 14, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 6, 4, 15, tzinfo=dt.UTC),
    )
    cancelled = factories.BookingFactory(
        service=factories.ServiceFactory(therapist=me),
        status=Booking.Status.CANCELLED,
        starts_at=dt.datetime(2030, 6, 5, 14, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 6, 5, 15, tzinfo=dt.UTC),
    )
    block = TimeOff.objects.create(
        therapist=me,
        starts_at=dt.datetime(2030, 6, 6, 4, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 6, 7, 4, tzinfo=dt.UTC),
        reason="Conference",
    )
    factories.WeeklyHoursFactory(therapist=me, weekday=1)  # Tuesdays 09:00–17:00
    client.force_login(me.user)
    response = client.get(
        reverse("therapists:calendar_events"),
        {"start": "2030-06-02T00:00:00", "end": "2030-06-09T00:00:00", "timeZone": me.time_zone},
    )
    assert response.status_code == 200
    events = {e.get("id", f"bg-{e['start']}"): e for e in response.json()}
    shown = events[f"booking-{booking.pk}"]
    assert shown["start"] == "2030-06-04T10:00"  # 14:00 UTC is 10:00 in New York
    assert shown["url"] == reverse("therapists:visit", kwargs={"pk": booking.pk})
    assert shown["title"].startswith("Ravi")
    assert f"booking-{cancelled.pk}" not in events
    off = events[f"timeoff-{block.pk}"]
    assert (off["start"], off["end"], off["allDay"], off["title"]) == (
        "2030-06-06",
        "2030-06-07",
        True,
        "Conference",
    )
    background = [e for e in response.json() if e.get("display") == "background"]
    assert [(e["start"], e["end"]) for e in background] == [
        ("2030-06-04T09:00", "2030-06-04T17:00")
    ]


def test_it_refuses_a_calendar_range_it_cannot_read(client, me):
    client.force_login(me.user)
    url = reverse("therapists:calendar_events")
    assert client.get(url, {"start": "soon", "end": "later"}).status_code == 400
    assert client.get(url, {"start": "2030-01-01", "end": "2031-01-01"}).status_code == 400
    assert client.get(url).status_code == 400


def test_it_renders_the_calendar_page_with_its_feed_link(client, me):
    client.force_login(me.user)
    body = client.get(reverse("therapists:calendar")).content.decode()
    assert "vendor/fullcalendar/index.global.min.js" in body
    assert f"/therapists/feed/{me.calendar_token}.ics" in body
    assert 'data-time-zone="America/New_York"' in body


def test_it_serves_a_feed_that_parses_and_holds_no_health_data(client, me, sensitive_booking):
    TimeOff.objects.create(
        therapist=me,
        starts_at=timezone.now() + dt.timedelta(days=5),
        ends_at=timezone.now() + dt.timedelta(days=6),
        reason="Holiday",
    )
    response = client.get(reverse("therapists:feed", kwargs={"token": me.calendar_token}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    cal = Calendar.from_ical(response.content)
    events = cal.walk("VEVENT")
    visit = next(e for e in events if str(e["UID"]) == sensitive_booking.ical_uid)
    assert str(visit["SUMMARY"]).startswith("Dana · ")
    assert str(visit["LOCATION"]) == sensitive_booking.address
    assert visit.decoded("DTSTART") == sensitive_booking.starts_at
    assert str(visit["URL"]).endswith(
        reverse("therapists:visit", kwargs={"pk": sensitive_booking.pk})
    )
    assert "Dana" in str(visit["DESCRIPTION"])
    assert any(str(e["SUMMARY"]) == "Holiday" for e in events)
    # Nothing from the intake, and not even the client's surname or access notes.
    for word in [*HEALTH_WORDS, "Whitfield", "Sleep through", "Side door", "pressure"]:
        assert word not in text, word


def test_it_leaves_cancelled_visits_out_of_the_feed(client, me):
    cancelled = factories.BookingFactory(
        service=factories.ServiceFactory(therapist=me), status=Booking.Status.CANCELLED
    )
    response = client.get(reverse("therapists:feed", kwargs={"token": me.calendar_token}))
    uids = [str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")]
    assert cancelled.ical_uid not in uids


def test_it_shows_the_visit_with_address_notes_intake_and_flags(client, me, sensitive_booking):
    client.force_login(me.user)
    response = client.get(reverse("therapists:visit", kwargs={"pk": sensitive_booking.pk}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Visit with Dana" in body
    assert "Whitfield" not in body
    assert sensitive_booking.address in body
    assert "Side door, dog is friendly." in body
    assert "Warfarin 5 mg" in body
    assert 'data-testid="care-flags"' in body
    assert "Eastern Time" in body
    local = sensitive_booking.starts_at.astimezone(me.tz)
    assert f"{local:%a}, {local:%b} {local.day}" in body
    assert f"{local:%-I:%M}" in body
    assert IntakeAccessLog.objects.filter(
        intake=sensitive_booking.intake, viewer=me.user, context=f"visit:{sensitive_booking.pk}"
    ).exists()


def _action_url(booking: Booking) -> str | None:
    # booking:visit_action belongs to the booking app; the buttons show once it exists.
    try:
        return reverse("booking:visit_action", kwargs={"pk": booking.pk})
    except NoReverseMatch:
        return None


def test_it_offers_confirm_and_decline_on_a_pending_visit(client, me, sensitive_booking):
    sensitive_booking.status = Booking.Status.PENDING
    sensitive_booking.save()
    client.force_login(me.user)
    response = client.get(reverse("therapists:visit", kwargs={"pk": sensitive_booking.pk}))
    assert [a[0] for a in response.context["actions"]] == ["confirm", "decline"]
    action_url = _action_url(sensitive_booking)
    if action_url:
        body = response.content.decode()
        assert body.count(f'action="{action_url}"') == 2
        assert 'value="confirm"' in body
        assert 'value="decline"' in body
        assert 'value="complete"' not in body


def test_it_offers_completed_and_no_show_once_the_visit_has_started(client, me):
    booking = factories.BookingFactory(
        service=factories.ServiceFactory(therapist=me),
        starts_at=timezone.now() - dt.timedelta(minutes=30),
    )
    client.force_login(me.user)
    response = client.get(reverse("therapists:visit", kwargs={"pk": booking.pk}))
    assert [a[0] for a in response.context["actions"]] == ["complete", "no_show"]
    if _action_url(booking):
        assert b'value="no_show"' in response.content


def test_it_offers_cancel_before_a_confirmed_visit(client, me, sensitive_booking):
    client.force_login(me.user)
    response = client.get(reverse("therapists:visit", kwargs={"pk": sensitive_booking.pk}))
    # The therapist's own cancellation, or the client's, phoned in (a late-cancel fee applies).
    assert [a[0] for a in response.context["actions"]] == ["cancel", "cancel_for_client"]


def test_it_hides_the_intake_when_the_clients_app_says_no(client, me, sensitive_booking):
    # Long past visits no longer open the client's health file (clients.selectors rule).
    sensitive_booking.starts_at = timezone.now() - dt.timedelta(days=90)
    sensitive_booking.ends_at = sensitive_booking.starts_at + dt.timedelta(hours=1)
    sensitive_booking.status = Booking.Status.COMPLETED
    sensitive_booking.save()
    client.force_login(me.user)
    body = client.get(reverse("therapists:visit", kwargs={"pk": sensitive_booking.pk})).content
    assert b"Warfarin" not in body
    assert b"No intake to show" in body


def test_it_lists_today_and_upcoming_visits_on_the_dashboard(client, me):
    now = timezone.now()
    today_visit = factories.BookingFactory(
        service=factories.ServiceFactory(therapist=me),
        client__user__first_name="Tess",
        starts_at=now.astimezone(me.tz).replace(hour=23, minute=0, second=0, microsecond=0),
    )
    later = factories.BookingFactory(
        service=factories.ServiceFactory(therapist=me),
        client__user__first_name="Uma",
        starts_at=now + dt.timedelta(days=3),
    )
    elsewhere = factories.BookingFactory(client__user__first_name="Zed")
    client.force_login(me.user)
    body = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="therapist-today"' in body
    assert reverse("therapists:visit", kwargs={"pk": today_visit.pk}) in body
    assert reverse("therapists:visit", kwargs={"pk": later.pk}) in body
    assert "Uma" in body
    assert reverse("therapists:visit", kwargs={"pk": elsewhere.pk}) not in body


@pytest.mark.parametrize("visits", [1, 12])
def test_the_events_cost_five_queries_whatever_the_week_holds(
    client, me, visits, django_assert_num_queries
):
    """The session, the user, the therapist's profile, the visits, and the hours with time off:
    nothing per visit, per day or per block."""
    service = factories.ServiceFactory(therapist=me)
    for weekday in range(7):
        factories.WeeklyHoursFactory(therapist=me, weekday=weekday)
    monday = dt.datetime(2030, 6, 3, 14, tzinfo=dt.UTC)
    for i in range(visits):
        factories.BookingFactory(
            service=service, starts_at=monday + dt.timedelta(days=i % 6, hours=2 * (i // 6))
        )
    TimeOff.objects.create(
        therapist=me, starts_at=monday, ends_at=monday + dt.timedelta(hours=1), reason="Dentist"
    )
    client.force_login(me.user)
    url = reverse("therapists:calendar_events")

    with django_assert_num_queries(5):
        response = client.get(url, {"start": "2030-06-02", "end": "2030-06-09"})

    assert response.status_code == 200
    kinds = [e.get("extendedProps", {}).get("kind", "hours") for e in response.json()]
    assert kinds.count("booking") == visits
    assert kinds.count("timeoff") == 1


def test_the_profile_lookup_gives_the_profile_as_the_orm_does(me):
    found = therapist_profile_of(user_id=me.user_id)

    expected = type(me).objects.get(pk=me.pk)
    assert found is not None
    fields = [f.attname for f in type(me)._meta.concrete_fields]
    assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert found.tz == expected.tz
    assert therapist_profile_of(user_id=me.user_id + 10_000) is None
