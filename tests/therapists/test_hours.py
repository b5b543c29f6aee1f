"""Weekly hours, whole days off, extra hours and blocks from the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories
from therapists.models import DateOverride, TimeOff, WeeklyHours

pytestmark = pytest.mark.django_db


def hours_post(rows: list[tuple[str, str, str]], delete: set[int] | None = None) -> dict:
    data = {
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for i, (day, start, end) in enumerate(rows):
        data[f"hours-{i}-weekday"] = day
        data[f"hours-{i}-start_time"] = start
        data[f"hours-{i}-end_time"] = end
        if delete and i in delete:
            data[f"hours-{i}-DELETE"] = "on"
    return data


@pytest.fixture
def me(client):
    profile = factories.TherapistProfileFactory()
    client.force_login(profile.user)
    return profile


def test_it_saves_several_ranges_a_day_and_skips_empty_rows(client, me):
    rows = [
        ("0", "09:00", "12:00"),
        ("0", "14:00", "19:00"),
        ("2", "10:00", "16:00"),
        ("3", "", ""),
    ]
    response = client.post(reverse("therapists:hours"), hours_post(rows))
    assert response.status_code == 302
    saved = list(WeeklyHours.objects.filter(therapist=me).values_list("weekday", "start_time"))
    assert saved == [(0, dt.time(9)), (0, dt.time(14)), (2, dt.time(10))]


def test_it_replaces_the_schedule_and_honours_remove(client, me):
    factories.WeeklyHoursFactory(therapist=me, weekday=4)
    rows = [("1", "08:00", "12:00"), ("3", "08:00", "12:00")]
    client.post(reverse("therapists:hours"), hours_post(rows, delete={1}))
    assert list(WeeklyHours.objects.filter(therapist=me).values_list("weekday", flat=True)) == [1]


def test_it_merges_overlapping_ranges_on_one_day(client, me):
    rows = [("0", "09:00", "12:00"), ("0", "11:00", "13:00")]
    client.post(reverse("therapists:hours"), hours_post(rows))
    assert list(WeeklyHours.objects.filter(therapist=me).values_list("start_time", "end_time")) == [
        (dt.time(9), dt.time(13))
    ]


def test_it_shows_each_day_with_its_ranges_and_a_blank_one(client, me):
    factories.WeeklyHoursFactory(
        therapist=me, weekday=0, start_time=dt.time(14), end_time=dt.time(19)
    )
    factories.WeeklyHoursFactory(
        therapist=me, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    response = client.get(reverse("therapists:hours"))
    days = response.context["days"]
    assert days[0][1] == "Monday"
    monday = [(f["start_time"].value(), f["end_time"].value()) for f in days[0][2]]
    assert monday == [(dt.time(9), dt.time(12)), (dt.time(14), dt.time(19)), (None, None)]
    assert all(len(forms) == 1 for _, _, forms in days[1:])
    assert "Monday, range 2, from" in response.content.decode()


def test_it_saves_the_page_as_it_is_rendered(client, me):
    """Round trip: post back exactly what the page shows, plus one new range on Tuesday."""
    factories.WeeklyHoursFactory(therapist=me, weekday=0)
    page = client.get(reverse("therapists:hours"))
    formset = page.context["formset"]
    data = {f"hours-{k}": v for k, v in formset.management_form.initial.items()}
    for form in formset.forms:
        data[form["weekday"].html_name] = form["weekday"].value()
        start, end = form["start_time"].value(), form["end_time"].value()
        data[form["start_time"].html_name] = start.strftime("%H:%M") if start else ""
        data[form["end_time"].html_name] = end.strftime("%H:%M") if end else ""
    tuesday = next(f for f in formset.forms if f["weekday"].value() == 1)
    data[tuesday["start_time"].html_name] = "07:30"
    data[tuesday["end_time"].html_name] = "11:00"
    response = client.post(reverse("therapists:hours"), data)
    assert response.status_code == 302
    assert list(
        WeeklyHours.objects.filter(therapist=me).values_list("weekday", "start_time", "end_time")
    ) == [(0, dt.time(9), dt.time(17)), (1, dt.time(7, 30), dt.time(11))]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("0", "12:00", "09:00"), "The end must be after the start."),
        (("0", "09:00", ""), "Give both a start and an end time"),
        (("0", "9 o'clock", "12:00"), "Enter a valid time."),
    ],
)
def test_it_explains_a_bad_row_and_keeps_the_old_hours(client, me, row, message):
    factories.WeeklyHoursFactory(therapist=me, weekday=4)
    response = client.post(reverse("therapists:hours"), hours_post([row]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(WeeklyHours.objects.filter(therapist=me).values_list("weekday", flat=True)) == [4]


def test_it_stores_a_day_off_as_local_midnight_to_midnight_in_utc(client, me):
    response = client.post(
        reverse("therapists:time_off_add"),
        {"off-first_day": "2030-07-04", "off-reason": "Holiday"},
    )
    assert response.status_code == 302
    block = TimeOff.objects.get(therapist=me)
    assert block.starts_at == dt.datetime(2030, 7, 4, 4, tzinfo=dt.UTC)
    assert block.ends_at == dt.datetime(2030, 7, 5, 4, tzinfo=dt.UTC)
    assert block.reason == "Holiday"


def test_it_stores_a_range_of_days_off_across_a_dst_change(client, me):
    # New York leaves summer time on 2030-11-03.
    client.post(
        reverse("therapists:time_off_add"),
        {"off-first_day": "2030-11-01", "off-last_day": "2030-11-04"},
    )
    block = TimeOff.objects.get(therapist=me)
    assert block.starts_at == dt.datetime(2030, 11, 1, 4, tzinfo=dt.UTC)  # EDT midnight
    assert block.ends_at == dt.datetime(2030, 11, 5, 5, tzinfo=dt.UTC)  # EST midnight


def test_it_uses_the_therapists_own_zone_for_days_off(client, me):
    me.time_zone = "Europe/Berlin"
    me.save()
    client.post(reverse("therapists:time_off_add"), {"off-first_day": "2030-01-10"})
    block = TimeOff.objects.get(therapist=me)
    assert block.starts_at == dt.datetime(2030, 1, 9, 23, tzinfo=dt.UTC)


def test_it_refuses_a_last_day_before_the_first(client, me):
    response = client.post(
        reverse("therapists:time_off_add"),
        {"off-first_day": "2030-07-04", "off-last_day": "2030-07-01"},
    )
    assert response.status_code == 200
    assert "cannot be before the first" in response.content.decode()
    assert not TimeOff.objects.exists()


def test_it_removes_a_day_off(client, me):
    client.post(reverse("therapists:time_off_add"), {"off-first_day": "2030-07-04"})
    block = TimeOff.objects.get(therapist=me)
    client.post(reverse("therapists:time_off_delete", kwargs={"pk": block.pk}))
    assert not TimeOff.objects.exists()


def test_it_adds_and_removes_extra_hours(client, me):
    response = client.post(
        reverse("therapists:override_add"),
        {"extra-date": "2030-07-06", "extra-start_time": "09:00", "extra-end_time": "12:00"},
    )
    assert response.status_code == 302
    extra = DateOverride.objects.get(therapist=me)
    assert (extra.date, extra.start_time) == (dt.date(2030, 7, 6), dt.time(9))
    client.post(reverse("therapists:override_delete", kwargs={"pk": extra.pk}))
    assert not DateOverride.objects.exists()


def test_it_shows_coming_time_off_and_extra_hours_on_the_page(client, me):
    client.post(
        reverse("therapists:time_off_add"), {"off-first_day": "2030-07-04", "off-reason": "Beach"}
    )
    client.post(
        reverse("therapists:override_add"),
        {"extra-date": "2030-07-06", "extra-start_time": "09:00", "extra-end_time": "12:00"},
    )
    body = client.get(reverse("therapists:hours")).content.decode()
    assert "Thu, Jul 4, 2030, all day" in body
    assert "Beach" in body
    assert "Sat, Jul 6, 2030, 9:00 AM–12:00 PM" in body


def test_it_blocks_a_range_selected_on_the_calendar_in_the_therapists_zone(client, me):
    response = client.post(
        reverse("therapists:calendar_block"),
        {"start": "2030-03-10T01:00:00", "end": "2030-03-10T04:00:00", "reason": "Errand"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    block = TimeOff.objects.get(pk=response.json()["id"])
    # 01:00 EST to 04:00 EDT on the night the clocks go forward: two real hours.
    assert block.starts_at == dt.datetime(2030, 3, 10, 6, tzinfo=dt.UTC)
    assert block.ends_at == dt.datetime(2030, 3, 10, 8, tzinfo=dt.UTC)


def test_it_blocks_whole_days_selected_in_the_month_view(client, me):
    response = client.post(
        reverse("therapists:calendar_block"), {"start": "2030-07-04", "end": "2030-07-06"}
    )
    assert response.status_code == 201
    block = TimeOff.objects.get(therapist=me)
    assert (block.starts_at, block.ends_at) == (
        dt.datetime(2030, 7, 4, 4, tzinfo=dt.UTC),
        dt.datetime(2030, 7, 6, 4, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    "data",
    [
        {"start": "2030-07-04T12:00", "end": "2030-07-04T11:00"},
        {"start": "tomorrow", "end": "2030-07-04T11:00"},
        {"start": "2030-03-10T02:30", "end": "2030-03-10T05:00"},  # a time that never happens
        {},
    ],
)
def test_it_answers_a_bad_calendar_block_with_400_and_a_message(client, me, data):
    response = client.post(reverse("therapists:calendar_block"), data)
    assert response.status_code == 400
    assert response.json()["errors"]
    assert not TimeOff.objects.exists()


def test_it_describes_time_off_in_words():
    from therapists.templatetags.therapists_tags import time_off_span

    zone = "America/New_York"
    days = TimeOff(
        starts_at=dt.datetime(2030, 11, 1, 4, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 11, 5, 5, tzinfo=dt.UTC),
    )
    block = TimeOff(
        starts_at=dt.datetime(2030, 7, 4, 17, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 7, 4, 20, tzinfo=dt.UTC),
    )
    assert time_off_span(days, zone) == "Fri, Nov 1 – Mon, Nov 4, 2030, all days"
    assert time_off_span(block, zone) == "Thu, Jul 4, 2030, 1:00–4:00 PM"
