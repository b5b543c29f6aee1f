"""Each request that once answered 500 (found by tests/test_fuzz.py) now gets a 4xx or the
form's error message, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule
from PIL import Image

from aftercare.models import BookingSeries
from booking import links
from booking.models import Booking
from core import inputs
from tests import factories
from therapists.models import DateOverride, TimeOff

HUGE = "99999999999999999999"
FAR = [
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:30:00-23:59",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00+00:00",
]
INVALID_TIME = "That time is not valid"


@pytest.fixture
def booked(db):
    therapist = factories.TherapistProfileFactory()
    service = factories.ServiceFactory(therapist=therapist)
    for weekday in range(7):
        factories.WeeklyHoursFactory(therapist=therapist, weekday=weekday)
    client = factories.BookableClientFactory()
    booking = factories.BookingFactory(client=client, service=service)
    return booking


# --- core.inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["abc", "1.5", "-1", "0", "", None, HUGE, str(2**63), "１２", "1_0", " 7", "\x00", True],
)
def test_parse_id_refuses_what_is_not_a_storable_id(value):
    assert inputs.parse_id(value) is None


def test_parse_id_reads_a_plain_id():
    assert inputs.parse_id("42") == 42
    assert inputs.parse_id(str(2**63 - 1)) == 2**63 - 1


@pytest.mark.parametrize("value", ["--5", "+-5", "", "-", "5.0", "1e3", HUGE, "11", "-11", None])
def test_parse_int_refuses_what_is_not_a_bounded_whole_number(value):
    assert inputs.parse_int(value, lo=-10, hi=10) is None


def test_parse_int_reads_a_signed_whole_number():
    assert inputs.parse_int(" -7 ", lo=-10, hi=10) == -7
    assert inputs.parse_int("+7", lo=-10, hi=10) == 7


@pytest.mark.parametrize("value", [*FAR, "2030-01-07T10:00:00", "x", "2030-01-07T10:00\x00+00:00"])
def test_parse_moment_refuses_naive_malformed_and_far_times(value):
    assert inputs.parse_moment(value) is None


def test_parse_moment_reads_an_aware_time_in_utc_and_a_lost_plus():
    expected = dt.datetime(2030, 1, 7, 15, tzinfo=dt.UTC)
    assert inputs.parse_moment("2030-01-07T10:00:00-05:00") == expected
    assert inputs.parse_moment("2030-01-07T15:00:00 00:00") == expected


def test_parse_moment_reads_a_naive_time_in_the_zone_given():
    zone = dt.timezone(dt.timedelta(hours=2))
    moment = inputs.parse_moment("2030-01-07T10:00:00", default_zone=zone)
    assert moment == dt.datetime(2030, 1, 7, 8, tzinfo=dt.UTC)


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "x", ""])
def test_parse_date_refuses_far_and_malformed_dates(value):
    assert inputs.parse_date(value) is None


def _png(size=(4, 4)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format="PNG")
    return out.getvalue()


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n%%EOF\n"


def test_open_image_refuses_an_eps_file_before_any_decoder_runs():
    with pytest.raises(inputs.ImageRefused) as refused:
        inputs.open_image(io.BytesIO(EPS))
    assert str(refused.value) == str(inputs.IMAGE_MESSAGE)


def test_open_image_refuses_too_many_pixels(monkeypatch):
    monkeypatch.setattr(inputs, "IMAGE_MAX_PIXELS", 15)
    with pytest.raises(inputs.ImageRefused) as refused:
        inputs.open_image(io.BytesIO(_png((4, 4))))
    assert str(refused.value) == str(inputs.IMAGE_TOO_LARGE)


def test_open_image_opens_a_png():
    with inputs.open_image(io.BytesIO(_png())) as image:
        assert image.format == "PNG"


# --- Far-off times in the booking flow -------------------------------------------------------


@pytest.mark.parametrize("when", FAR)
def test_review_sends_a_far_off_time_back_to_the_free_times(client, booked, when):
    client.force_login(booked.client.user)
    query = {"therapist": booked.therapist_id, "service": booked.service_id, "starts_at": when}
    response = client.get(reverse("booking:review"), query, follow=True)
    assert response.status_code == 200
    assert INVALID_TIME in response.content.decode()


@pytest.mark.parametrize("when", FAR)
def test_review_post_with_a_far_off_time_is_a_form_error(client, booked, when):
    client.force_login(booked.client.user)
    data = {"therapist": booked.therapist_id, "service": booked.service_id, "starts_at": when}
    response = client.post(reverse("booking:review"), data)
    assert response.status_code == 200
    assert INVALID_TIME in response.content.decode()
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("when", FAR)
def test_reschedule_refuses_a_far_off_time(client, booked, when):
    client.force_login(booked.client.user)
    before = booked.starts_at
    url = reverse("booking:reschedule", kwargs={"pk": booked.pk})
    for response in (
        client.get(url, {"starts_at": when, "start": when[:10], "day": when[:10]}),
        client.post(url, {"starts_at": when}),
    ):
        assert response.status_code == 200
        assert INVALID_TIME in response.content.decode()
    booked.refresh_from_db()
    assert booked.starts_at == before


@pytest.mark.parametrize("when", FAR)
def test_signed_reschedule_link_refuses_a_far_off_time(client, booked, when):
    token = links.manage_token(booking_id=booked.pk, action="reschedule")
    url = reverse("booking:link_reschedule", kwargs={"pk": booked.pk, "token": token})
    for response in (client.get(url, {"starts_at": when}), client.post(url, {"starts_at": when})):
        assert response.status_code == 200
        assert INVALID_TIME in response.content.decode()


def test_slots_api_answers_400_for_year_9999(client, booked):
    url = reverse("booking:api_slots", kwargs={"pk": booked.therapist_id})
    response = client.get(url, {"service": booked.service_id, "start": "9999-12-31"})
    assert response.status_code == 400
    assert "start must be a date written YYYY-MM-DD" in response.json()["error"]


def test_slots_api_answers_404_for_a_20_digit_therapist_id(client, booked):
    url = f"/api/therapists/{HUGE}/slots"
    response = client.get(url, {"service": booked.service_id})
    assert response.status_code == 404


# --- Series -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", "1.5", HUGE, "-1"])
def test_series_page_with_an_id_that_is_not_a_number_is_404(client, booked, bad):
    client.force_login(booked.client.user)
    url = reverse("aftercare:series_new")
    assert client.get(url, {"therapist": bad, "service": bad}).status_code == 404
    assert client.post(url, {"therapist": bad, "service": booked.service_id}).status_code == 404


@pytest.mark.parametrize("when", FAR)
def test_series_page_ignores_a_far_off_chosen_time(client, booked, when):
    client.force_login(booked.client.user)
    url = reverse("aftercare:series_new")
    query = {"therapist": booked.therapist_id, "service": booked.service_id, "starts_at": when}
    response = client.get(url, query)
    assert response.status_code == 200
    assert "First visit" in response.content.decode()


@pytest.mark.parametrize(
    ("interval", "first", "second"),
    [
        ("-1", "aware", "aware"),
        ("0", "aware", "aware"),
        ("9", "aware", "aware"),
        ("40000", "aware", "aware"),
        ("2", "naive", "aware"),
        ("2", "naive", "naive"),
        ("2", "aware", "far"),
    ],
)
def test_series_confirm_refuses_bad_times_and_intervals(client, booked, interval, first, second):
    client.force_login(booked.client.user)
    start = (timezone.now() + dt.timedelta(days=5)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )

    def written(kind: str, moment: dt.datetime) -> str:
        if kind == "far":
            return FAR[0]
        return moment.replace(tzinfo=None).isoformat() if kind == "naive" else moment.isoformat()

    data = {
        "therapist": booked.therapist_id,
        "service": booked.service_id,
        "step": "confirm",
        "count": "2",
        "interval_weeks": interval,
        "visit_0": written(first, start),
        "visit_1": written(second, start + dt.timedelta(weeks=2)),
    }
    response = client.post(reverse("aftercare:series_new"), data, follow=True)
    assert response.status_code == 200
    assert "Something in that form was not valid" in response.content.decode()
    assert not BookingSeries.objects.exists()


def test_series_cancel_with_a_booking_id_that_is_not_a_number_is_404(client, booked):
    client.force_login(booked.client.user)
    series = BookingSeries.objects.create(
        client=booked.client,
        therapist=booked.therapist,
        service=booked.service,
        interval_weeks=2,
        visit_count=2,
    )
    url = reverse("aftercare:series_detail", kwargs={"pk": series.pk})
    assert client.post(url, {"booking": "abc"}).status_code == 404
    assert client.post(url, {"booking": HUGE}).status_code == 404


# --- The therapist's calendar -----------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_time_off_in_year_9999_is_a_form_error(client, booked, day):
    client.force_login(booked.therapist.user)
    response = client.post(
        reverse("therapists:time_off_add"), {"off-first_day": day, "off-last_day": day}
    )
    assert response.status_code == 200
    assert "Enter a date between 1900 and 2199" in response.content.decode()
    assert not TimeOff.objects.exists()


def test_extra_hours_in_year_9999_are_a_form_error(client, booked):
    client.force_login(booked.therapist.user)
    data = {"extra-date": "9999-12-31", "extra-start_time": "09:00", "extra-end_time": "12:00"}
    response = client.post(reverse("therapists:override_add"), data)
    assert response.status_code == 200
    assert "Enter a date between 1900 and 2199" in response.content.decode()
    assert not DateOverride.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-31T10:00:00", "9999-12-31T23:00:00"),
        ("9999-12-31T10:00:00-23:59", "9999-12-31T23:59:59+00:00"),
        ("0001-01-01T10:00:00", "0001-01-01T12:00:00"),
    ],
)
def test_calendar_block_in_year_9999_is_refused(client, booked, start, end):
    client.force_login(booked.therapist.user)
    response = client.post(reverse("therapists:calendar_block"), {"start": start, "end": end})
    assert 400 <= response.status_code < 500
    assert "Enter a date between 1900 and 2199" in response.content.decode()
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-31", "9999-12-31T23:59:59"), ("0001-01-01T00:00:00+23:59", "0001-01-02")],
)
def test_calendar_events_for_year_9999_is_400(client, booked, start, end):
    client.force_login(booked.therapist.user)
    response = client.get(reverse("therapists:calendar_events"), {"start": start, "end": end})
    assert response.status_code == 400
    assert "at most two months apart" in response.json()["error"]


# --- Ids that overflow, NUL characters, uploads ---------------------------------------------


def test_profile_with_a_20_digit_modality_id_is_a_form_error(client, booked):
    therapist = booked.therapist
    client.force_login(therapist.user)
    data = {
        "display_name": therapist.display_name,
        "licence_number": therapist.licence_number,
        "modalities": [HUGE],
        "time_zone": therapist.time_zone,
        "postcode": "10001",
        "radius_km": "20",
        "travel_speed_kmh": "30",
        "min_travel_buffer_minutes": "15",
        "min_notice_hours": "0",
        "max_visits_per_day": "6",
    }
    response = client.post(reverse("therapists:profile_edit"), data)
    assert response.status_code == 200
    assert "is not one of the available choices" in response.content.decode()
    assert list(therapist.modalities.all()) == list(booked.therapist.modalities.all())


@pytest.mark.parametrize(
    "url",
    [
        "/therapists/?modality=myo%00fascial&postcode=100%0001",
        "/therapists/feed/%00.ics",
        "/book/?modality=%00&duration=60",
        "/api/therapists/1/slots?service=%00",
    ],
)
def test_a_nul_in_the_address_is_400(client, db, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "null character" in response.content.decode()


def test_a_nul_in_a_text_field_is_a_form_error(client, booked):
    client.force_login(booked.client.user)
    url = reverse("booking:cancel", kwargs={"pk": booked.pk})
    response = client.post(url, {"reason": "sorry\x00"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == Booking.Status.CONFIRMED


@pytest.mark.parametrize(
    ("name", "content"),
    [("me.eps", EPS), ("me.jpg", EPS), ("me.gif", b"GIF89a" + b"\x00" * 32)],
)
def test_an_eps_file_as_the_photo_is_a_form_error(client, booked, name, content):
    therapist = booked.therapist
    client.force_login(therapist.user)
    data = {
        "display_name": therapist.display_name,
        "licence_number": therapist.licence_number,
        "modalities": [m.pk for m in therapist.modalities.all()],
        "time_zone": therapist.time_zone,
        "postcode": "10001",
        "radius_km": "20",
        "travel_speed_kmh": "30",
        "min_travel_buffer_minutes": "15",
        "min_notice_hours": "0",
        "max_visits_per_day": "6",
        "photo": SimpleUploadedFile(name, content, content_type="application/postscript"),
    }
    response = client.post(reverse("therapists:profile_edit"), data)
    assert response.status_code == 200
    assert "Upload a photo in JPEG, PNG or WebP format" in response.content.decode()
    therapist.refresh_from_db()
    assert not therapist.photo


def test_an_eps_file_as_the_photo_in_the_admin_is_a_form_error(client, booked):
    client.force_login(factories.StaffFactory())
    url = reverse("admin:therapists_therapistprofile_change", args=[booked.therapist_id])
    photo = SimpleUploadedFile("me.eps", EPS, content_type="application/postscript")
    response = client.post(url, {"photo": photo})
    assert response.status_code == 200
    assert "Upload a photo in JPEG, PNG or WebP format" in response.content.decode()
    booked.therapist.refresh_from_db()
    assert not booked.therapist.photo


# --- The admin (found by a longer random run on PostgreSQL) -------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/therapists/service/add/?therapist=0359-01-21",
        "/admin/therapists/timeoff/add/?therapist=abc&starts_at=%F1%90%A8%95k",
        "/admin/therapists/timeoff/add/?starts_at=9999-12-31T23:59:59-23:59",
        "/admin/therapists/dateoverride/add/?therapist=+&date=9999-99-99",
        f"/admin/payments/paymentpolicy/add/?therapist={HUGE}",
    ],
)
def test_admin_add_page_ignores_initial_values_that_do_not_parse(client, db, url):
    client.force_login(factories.StaffFactory())
    response = client.get(url)
    assert response.status_code == 200
    assert "<form" in response.content.decode()


def test_admin_add_form_with_an_id_that_is_not_a_number_is_a_form_error(client, db):
    client.force_login(factories.StaffFactory())
    response = client.post("/admin/payments/paymentpolicy/add/", {"therapist": " "})
    assert response.status_code == 200
    assert "Please correct the error" in response.content.decode()


def test_admin_crontab_with_a_negative_month_is_a_form_error(client, db):
    client.force_login(factories.StaffFactory())
    data = {
        "minute": "2",
        "hour": "*",
        "day_of_month": "*",
        "month_of_year": "-922",
        "day_of_week": "*",
        "timezone": "UTC",
    }
    response = client.post("/admin/django_celery_beat/crontabschedule/add/", data)
    assert response.status_code == 200
    assert "That is not a valid schedule" in response.content.decode()
    assert not CrontabSchedule.objects.filter(month_of_year="-922").exists()


def test_checkout_setup_with_a_forged_checkout_token_is_400(client, booked, stripe_on):
    # Another client's checkout token, or one that is not a UUID: the request's fault, not ours.
    client.force_login(booked.client.user)
    form = {"therapist": booked.therapist_id, "service": booked.service_id}
    for token in ("-4093585650", "\x00", str(uuid.uuid4())):
        other = factories.BookableClientFactory()
        client.force_login(other.user)
        client.post(reverse("payments:checkout_setup"), {**form, "checkout": token})
        client.force_login(booked.client.user)
        response = client.post(reverse("payments:checkout_setup"), {**form, "checkout": token})
        assert response.status_code == 400
        assert "This page is out of date" in response.json()["error"]
