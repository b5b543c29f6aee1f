"""The reports: known visits, payments and feedback give known numbers, on the page and in
the CSV files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from aftercare.models import Feedback
from backoffice.reports import business_report
from booking.models import Booking
from payments.models import Payment, Refund
from tests import factories

UTC = dt.UTC
NOW = dt.datetime(2025, 6, 1, tzinfo=UTC)


def _visit(service, client, when: str, *, status=Booking.Status.COMPLETED, price="100.00"):
    starts = dt.datetime.fromisoformat(when).replace(tzinfo=UTC)
    return factories.BookingFactory(
        service=service,
        client=client,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        status=status,
        price=Decimal(price),
    )


def _feedback(booking, soreness: int, pressure: str) -> None:
    Feedback.objects.create(
        booking=booking,
        client=booking.client,
        therapist=booking.therapist,
        soreness=soreness,
        pressure=pressure,
        rating=5,
    )


@pytest.fixture
def world(db, settings):
    settings.TIME_ZONE = "America/New_York"
    ann = factories.TherapistProfileFactory(display_name="Ann Able")
    ben = factories.TherapistProfileFactory(display_name="Ben Brook")
    s_ann = factories.ServiceFactory(therapist=ann)
    s_ben = factories.ServiceFactory(therapist=ben)
    c1, c2, c3 = (factories.ClientProfileFactory() for _ in range(3))

    jan10 = _visit(s_ann, c1, "2025-01-10T15:00", price="100.00")
    jan20 = _visit(s_ann, c2, "2025-01-20T15:00", price="80.00")
    _visit(s_ann, c1, "2025-01-12T15:00", status=Booking.Status.CANCELLED)
    _visit(s_ann, c2, "2025-01-14T15:00", status=Booking.Status.NO_SHOW)
    _visit(s_ann, c1, "2025-02-05T15:00", price="100.00")  # c1 back within six weeks
    # 03:00 UTC on 1 February is still 31 January in New York: a January visit.
    feb1 = _visit(s_ben, c3, "2025-02-01T03:00", price="50.00")
    _visit(s_ben, c3, "2025-03-15T15:00", price="60.00")  # just over six weeks later
    _visit(s_ann, c1, "2025-04-20T15:00", price="999.00")  # outside the three months

    _feedback(jan10, 4, Feedback.Pressure.RIGHT)
    _feedback(jan20, 8, Feedback.Pressure.TOO_DEEP)
    _feedback(feb1, 2, Feedback.Pressure.RIGHT)

    paid = Payment.objects.create(
        booking=jan10,
        action=Payment.Action.BALANCE,
        status=Payment.Status.SUCCEEDED,
        amount_cents=10000,
        idempotency_key="p1",
    )
    Refund.objects.create(
        payment=paid, amount_cents=2000, status=Refund.Status.SUCCEEDED, idempotency_key="r1"
    )
    Payment.objects.create(
        booking=jan20,
        action=Payment.Action.BALANCE,
        status=Payment.Status.FAILED,
        amount_cents=8000,
        idempotency_key="p2",
    )
    return ann, ben


def test_it_counts_visits_money_cancellations_and_no_shows_per_therapist_and_month(world):
    report = business_report(start=dt.date(2025, 1, 1), months=3, now=NOW)
    assert report.months == [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    rows = {r.name: r for r in report.therapists}
    assert list(rows) == ["Ann Able", "Ben Brook"]
    jan, feb, mar = report.months
    a = rows["Ann Able"].months
    assert (a[jan].visits, a[jan].revenue, a[jan].collected_cents) == (2, Decimal("180.00"), 8000)
    assert (a[jan].cancellations, a[jan].no_shows) == (1, 1)
    assert (a[feb].visits, a[feb].revenue, a[feb].collected_cents) == (1, Decimal("100.00"), 0)
    assert mar not in a
    b = rows["Ben Brook"].months
    assert (b[jan].visits, b[jan].revenue) == (1, Decimal("50.00"))
    assert (b[mar].visits, b[mar].revenue) == (1, Decimal("60.00"))
    assert feb not in b
    assert report.grand_total.visits == 5
    assert report.grand_total.revenue == Decimal("390.00")


def test_it_gives_soreness_too_deep_and_rebooking_per_therapist(world):
    report = business_report(start=dt.date(2025, 1, 1), months=3, now=NOW)
    rows = {r.name: r for r in report.therapists}
    ann, ben = rows["Ann Able"], rows["Ben Brook"]
    assert (ann.feedback_count, ann.average_soreness, ann.too_deep_rate) == (2, 6.0, 0.5)
    assert (ben.feedback_count, ben.average_soreness, ben.too_deep_rate) == (1, 2.0, 0.0)
    assert (ann.rebooked, ann.rebooking_visits) == (1, 3)
    assert (ben.rebooked, ben.rebooking_visits) == (0, 2)


def test_visits_less_than_six_weeks_old_are_not_yet_counted_for_rebooking(world):
    report = business_report(
        start=dt.date(2025, 1, 1), months=3, now=dt.datetime(2025, 3, 5, tzinfo=UTC)
    )
    ann = next(r for r in report.therapists if r.name == "Ann Able")
    assert ann.rebooking_visits == 2  # 10 and 20 January; 5 February is too recent


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_downloads_hold_the_same_numbers(world, client):
    client.force_login(factories.StaffFactory())
    url = reverse("backoffice:reports")
    query = {"start": "2025-01", "months": "3"}
    monthly = _csv(client.get(url, {**query, "download": "monthly"}))
    ann, ben = world
    assert monthly == [
        [
            "therapist_id",
            "therapist",
            "month",
            "visits",
            "revenue_at_listed_prices",
            "payments_collected",
            "cancellations",
            "no_shows",
        ],
        [str(ann.pk), "Ann Able", "2025-01", "2", "180.00", "80.00", "1", "1"],
        [str(ann.pk), "Ann Able", "2025-02", "1", "100.00", "0.00", "0", "0"],
        [str(ben.pk), "Ben Brook", "2025-01", "1", "50.00", "0.00", "0", "0"],
        [str(ben.pk), "Ben Brook", "2025-03", "1", "60.00", "0.00", "0", "0"],
    ]
    per_therapist = _csv(client.get(url, {**query, "download": "therapists"}))
    assert per_therapist[0][-4:] == [
        "too_deep_rate",
        "completed_visits_past_six_weeks",
        "rebooked_within_six_weeks",
        "rebooking_rate",
    ]
    assert per_therapist[1] == [
        str(ann.pk),
        "Ann Able",
        "3",
        "280.00",
        "80.00",
        "1",
        "1",
        "2",
        "6.00",
        "0.500",
        "3",
        "1",
        "0.333",
    ]


def test_the_page_shows_the_figures_and_svg_charts_without_inline_styles(world, client):
    client.force_login(factories.StaffFactory())
    page = client.get(reverse("backoffice:reports"), {"start": "2025-01", "months": "3"})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('<svg class="hk-chart"') == 2
    assert 'aria-label="Visits per month: Jan 2025 3, Feb 2025 1, Mar 2025 1"' in text
    charts = text.split('<svg class="hk-chart"', 1)[1].split("</figure>\n  <div", 1)[0]
    assert "<rect" in charts and "style" not in charts
    assert "Ann Able" in text and "$390.00" in text
    assert "33% (1/3)" in text  # Ann's rebooking
    assert "download=monthly" in text
    # The admin index links to it.
    assert reverse("backoffice:reports") in client.get(reverse("admin:index")).content.decode()


def test_one_therapists_months(world, client):
    ann, _ben = world
    client.force_login(factories.StaffFactory())
    rows = _csv(
        client.get(
            reverse("backoffice:reports"),
            {"start": "2025-01", "months": "3", "therapist": ann.pk, "download": "monthly"},
        )
    )
    assert {r[1] for r in rows[1:]} == {"Ann Able"}


@pytest.mark.parametrize(
    "query",
    [{"start": "2025-13"}, {"months": "0"}, {"months": "x"}, {"download": "pdf"}],
)
def test_bad_input_is_a_clear_400(world, client, query):
    client.force_login(factories.StaffFactory())
    response = client.get(reverse("backoffice:reports"), query)
    assert response.status_code == 400
    assert response.content


def test_the_reports_are_for_staff_only(world, client):
    client.force_login(factories.UserFactory())
    response = client.get(reverse("backoffice:reports"))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(factories.StaffFactory(is_superuser=False))
    assert client.get(reverse("backoffice:reports")).status_code == 403


def test_without_a_query_it_shows_the_last_twelve_months(world, client):
    client.force_login(factories.StaffFactory())
    page = client.get(reverse("backoffice:reports"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="months" value="12"' in text
    assert text.count('<svg class="hk-chart"') == 2
