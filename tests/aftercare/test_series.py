"""Series of visits: every occurrence through booking_create, clashes listed with
alternatives before confirming, cancel one or all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare import services
from aftercare.models import BookingSeries, SeriesVisit
from booking.models import Booking
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    service = factories.ServiceFactory()
    therapist = service.therapist
    for weekday in range(7):
        factories.WeeklyHoursFactory(
            therapist=therapist, weekday=weekday, start_time=dt.time(9), end_time=dt.time(17)
        )
    profile = factories.ClientProfileFactory()
    factories.IntakeFactory(client=profile)
    tz = therapist.tz
    first_day = timezone.localtime(timezone.now(), tz).date() + dt.timedelta(days=3)
    first = dt.datetime.combine(first_day, dt.time(10), tzinfo=tz).astimezone(dt.UTC)
    return profile, therapist, service, first


def test_the_preview_lists_every_visit_and_a_clash_with_alternatives(setup):
    profile, therapist, service, first = setup
    second = first + dt.timedelta(weeks=2)
    factories.BookingFactory(service=service, starts_at=second)  # someone else has that time

    occurrences = services.series_preview(
        client=profile,
        therapist=therapist,
        service=service,
        first_starts_at=first,
        interval_weeks=2,
        visit_count=4,
    )

    assert [o.free for o in occurrences] == [True, False, True, True]
    assert [o.wanted for o in occurrences] == [first + dt.timedelta(weeks=2 * i) for i in range(4)]
    clash = occurrences[1]
    assert len(clash.alternatives) == 3
    assert second not in clash.alternatives
    # The nearest free times, so the client stays close to their rhythm.
    assert all(abs(a - second) <= dt.timedelta(hours=2) for a in clash.alternatives)


def test_booking_a_series_goes_through_booking_create_for_every_visit(client, setup):
    profile, therapist, service, first = setup
    second = first + dt.timedelta(weeks=2)
    factories.BookingFactory(service=service, starts_at=second)
    client.force_login(profile.user)
    url = reverse("aftercare:series_new")

    start = client.get(url, {"therapist": therapist.pk, "service": service.pk})
    assert start.status_code == 200
    assert first.isoformat() in start.content.decode()

    preview = client.post(
        url,
        {
            "therapist": therapist.pk,
            "service": service.pk,
            "step": "preview",
            "first": first.isoformat(),
            "interval_weeks": "2",
            "visit_count": "4",
        },
    )
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "1 visit clashes with the therapist's calendar" in page
    assert Booking.objects.filter(client=profile).count() == 0  # nothing booked yet

    alternative = services.series_preview(
        client=profile,
        therapist=therapist,
        service=service,
        first_starts_at=first,
        interval_weeks=2,
        visit_count=4,
    )[1].alternatives[0]
    assert f'value="{alternative.isoformat()}" checked' in page
    response = client.post(
        url,
        {
            "therapist": therapist.pk,
            "service": service.pk,
            "step": "confirm",
            "interval_weeks": "2",
            "count": "4",
            "visit_0": first.isoformat(),
            "visit_1": alternative.isoformat(),
            "visit_2": (first + dt.timedelta(weeks=4)).isoformat(),
            "visit_3": (first + dt.timedelta(weeks=6)).isoformat(),
        },
    )

    assert response.status_code == 302
    series = BookingSeries.objects.get(client=profile)
    starts = sorted(v.booking.starts_at for v in series.visits.all())
    assert starts == [
        first,
        alternative,
        first + dt.timedelta(weeks=4),
        first + dt.timedelta(weeks=6),
    ]
    assert all(v.booking.therapist == therapist for v in series.visits.all())
    assert all(v.booking.status == Booking.Status.CONFIRMED for v in series.visits.all())
    detail = client.get(response["Location"]).content.decode()
    assert detail.count("Cancel this visit") == 4


def test_a_time_taken_while_choosing_books_nothing(setup):
    profile, therapist, service, first = setup
    third = first + dt.timedelta(weeks=4)
    factories.BookingFactory(service=service, starts_at=third)

    with pytest.raises(services.SeriesClash) as clash:
        services.series_create(
            client=profile,
            therapist=therapist,
            service=service,
            starts=[first, first + dt.timedelta(weeks=2), third],
            interval_weeks=2,
        )

    assert clash.value.starts_at == third
    assert not Booking.objects.filter(client=profile).exists()
    assert not BookingSeries.objects.exists()


def test_cancel_one_visit_or_the_whole_series(client, setup):
    profile, therapist, service, first = setup
    series = services.series_create(
        client=profile,
        therapist=therapist,
        service=service,
        starts=[first + dt.timedelta(weeks=2 * i) for i in range(4)],
        interval_weeks=2,
    )
    visits = [
        v.booking for v in SeriesVisit.objects.filter(series=series).order_by("booking__starts_at")
    ]
    client.force_login(profile.user)
    url = reverse("aftercare:series_detail", kwargs={"pk": series.pk})

    client.post(url, {"action": "cancel_one", "booking": visits[1].pk})
    statuses = [Booking.objects.get(pk=b.pk).status for b in visits]
    assert statuses == ["confirmed", "cancelled", "confirmed", "confirmed"]

    client.post(url, {"action": "cancel_all"})
    assert set(
        Booking.objects.filter(pk__in=[b.pk for b in visits]).values_list("status", flat=True)
    ) == {"cancelled"}
    series.refresh_from_db()
    assert series.cancelled_at is not None


def test_another_client_cannot_see_or_cancel_my_series(client, setup):
    profile, therapist, service, first = setup
    series = services.series_create(
        client=profile,
        therapist=therapist,
        service=service,
        starts=[first, first + dt.timedelta(weeks=2)],
        interval_weeks=2,
    )
    client.force_login(factories.ClientProfileFactory().user)
    url = reverse("aftercare:series_detail", kwargs={"pk": series.pk})

    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "cancel_all"}).status_code == 404
    assert not Booking.objects.filter(client=profile, status="cancelled").exists()
