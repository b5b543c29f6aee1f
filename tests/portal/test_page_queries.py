"""The pages that show free times cost a fixed number of queries, whatever the number of
therapists or bookings; anonymous visitors are served from the availability cache."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from therapists.models import TimeOff, WeeklyHours


def add_therapists(n: int) -> list:
    services = []
    for _ in range(n):
        service = factories.ServiceFactory()
        WeeklyHours.objects.bulk_create(
            WeeklyHours(
                therapist=service.therapist, weekday=d, start_time=dt.time(9), end_time=dt.time(17)
            )
            for d in range(7)
        )
        start = timezone.now() + dt.timedelta(days=2)
        factories.BookingFactory(service=service, starts_at=start)
        services.append(service)
    return services


def count(client, url: str, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(50) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "url",
    ["/therapists/?modality=myofascial&postcode=10001", "/therapists/"],
)
def test_the_directory_costs_the_same_for_3_or_12_therapists(
    db, client, url, django_assert_max_num_queries
):
    add_therapists(3)
    few = count(client, url, django_assert_max_num_queries)
    add_therapists(9)
    many = count(client, url, django_assert_max_num_queries)
    assert many == few


def test_the_profile_costs_the_same_with_more_services_and_bookings(
    db, client, django_assert_max_num_queries
):
    [service] = add_therapists(1)
    url = reverse("therapists:profile", kwargs={"slug": service.therapist.slug})
    url += "?postcode=10001"  # times are shown for a place
    few = count(client, url, django_assert_max_num_queries)
    for minutes in (30, 90, 120):
        factories.ServiceFactory(therapist=service.therapist, duration_minutes=minutes)
    for days in (3, 4, 5):
        factories.BookingFactory(
            service=service, starts_at=timezone.now() + dt.timedelta(days=days, hours=1)
        )
    assert count(client, url, django_assert_max_num_queries) == few


def test_the_slots_api_takes_at_most_three_queries_and_one_when_cached(
    db, client, django_assert_max_num_queries, django_assert_num_queries
):
    [service] = add_therapists(1)
    url = f"/api/therapists/{service.therapist.pk}/slots?service={service.pk}&days=14"
    with django_assert_max_num_queries(3):
        first = client.get(url)
    assert first.status_code == 200 and first.json()
    with django_assert_num_queries(1):  # the therapist and the service; the times are cached
        again = client.get(url)
    assert again.json() == first.json()


def test_the_profile_reads_its_rating_with_the_profile(db, client):
    [service] = add_therapists(1)
    url = reverse("therapists:profile", kwargs={"slug": service.therapist.slug})
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    feedback_aggregates = [
        q["sql"] for q in captured.captured_queries if "AVG(" in q["sql"].upper()
    ]
    assert len(feedback_aggregates) == 1
    assert "therapists_therapistprofile" in feedback_aggregates[0]


def test_calendar_events_cost_the_same_for_a_quiet_or_a_busy_month(
    db, client, django_assert_max_num_queries
):
    [service] = add_therapists(1)
    therapist = service.therapist
    client.force_login(therapist.user)
    today = timezone.localdate(timezone.now(), therapist.tz)
    url = (
        reverse("therapists:calendar_events")
        + f"?start={today.isoformat()}&end={(today + dt.timedelta(days=35)).isoformat()}"
    )
    few = count(client, url, django_assert_max_num_queries)
    for days in range(3, 20, 2):
        factories.BookingFactory(
            service=service, starts_at=timezone.now() + dt.timedelta(days=days, hours=3)
        )
        TimeOff.objects.create(
            therapist=therapist,
            starts_at=timezone.now() + dt.timedelta(days=days + 1),
            ends_at=timezone.now() + dt.timedelta(days=days + 1, hours=2),
        )
    assert count(client, url, django_assert_max_num_queries) == few
