"""The business in numbers, per therapist and month (selectors: reads only).

- visits (completed), revenue at the prices listed when booked (``Booking.price``, a snapshot),
  money collected (``payments.selectors.totals_by_therapist``: paid, less refunds),
  cancellations and no-shows, per therapist and calendar month in the site's zone;
- per therapist over the period: average soreness and the share of "too deep" in the clients'
  feedback (``aftercare.models.Feedback``), and the rebooking rate: of the completed visits
  whose six weeks are over, how many were followed by another visit with the same therapist
  starting within six weeks (any status but cancelled or declined).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from aftercare.models import Feedback
from booking.models import Booking
from payments.selectors import totals_by_therapist
from therapists.models import TherapistProfile

REBOOKING_WINDOW = dt.timedelta(weeks=6)
REBOOKED_STATUSES = (
    Booking.Status.PENDING,
    Booking.Status.AWAITING_CLEARANCE,
    Booking.Status.CONFIRMED,
    Booking.Status.COMPLETED,
    Booking.Status.NO_SHOW,
)


@dataclass
class MonthFigures:
    visits: int = 0
    revenue: Decimal = Decimal("0.00")
    collected_cents: int = 0
    cancellations: int = 0
    no_shows: int = 0

    def add(self, other: MonthFigures) -> None:
        self.visits += other.visits
        self.revenue += other.revenue
        self.collected_cents += other.collected_cents
        self.cancellations += other.cancellations
        self.no_shows += other.no_shows

    @property
    def collected(self) -> Decimal:
        return Decimal(self.collected_cents) / 100


@dataclass
class TherapistRow:
    therapist_id: int
    name: str
    months: dict[dt.date, MonthFigures] = field(default_factory=dict)
    total: MonthFigures = field(default_factory=MonthFigures)
    feedback_count: int = 0
    average_soreness: float | None = None
    too_deep_count: int = 0
    rebooking_visits: int = 0
    rebooked: int = 0

    @property
    def too_deep_rate(self) -> float | None:
        return self.too_deep_count / self.feedback_count if self.feedback_count else None

    @property
    def rebooking_rate(self) -> float | None:
        return self.rebooked / self.rebooking_visits if self.rebooking_visits else None


@dataclass
class Report:
    start: dt.date
    months: list[dt.date]
    therapists: list[TherapistRow]
    totals: dict[dt.date, MonthFigures]
    grand_total: MonthFigures


def month_starts(start: dt.date, count: int) -> list[dt.date]:
    out = []
    year, month = start.year, start.month
    for _ in range(count):
        out.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=_zone())


def _count_rebooking(
    visit: tuple[int, int, dt.datetime, str],
    following: tuple[int, int, dt.datetime, str] | None,
    settled_until: dt.datetime,
    row_for: Callable[[int], TherapistRow],
) -> None:
    client_id, therapist_id, starts_at, status = visit
    if status != Booking.Status.COMPLETED or starts_at >= settled_until:
        return
    row = row_for(therapist_id)
    row.rebooking_visits += 1
    if (
        following is not None
        and following[:2] == (client_id, therapist_id)
        and following[2] <= starts_at + REBOOKING_WINDOW
    ):
        row.rebooked += 1


def business_report(
    *,
    start: dt.date,
    months: int,
    therapist_id: int | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The figures for ``months`` calendar months from the month of ``start`` (site zone),
    for every therapist with a booking in them, or for one."""
    now = now or timezone.now()
    month_list = month_starts(start.replace(day=1), months)
    begin = _instant(month_list[0])
    end = _instant(month_starts(month_list[-1], 2)[1])

    bookings = Booking.objects.filter(starts_at__gte=begin, starts_at__lt=end)
    if therapist_id is not None:
        bookings = bookings.filter(therapist_id=therapist_id)
    status = Booking.Status
    # Which month a visit falls in: one CASE of plain comparisons against the months' first
    # instants (site zone), not a time-zone truncation per row (a Python function on SQLite).
    bounds = [_instant(m) for m in month_list[1:]]
    month_index = Case(
        *(When(starts_at__lt=bound, then=Value(i)) for i, bound in enumerate(bounds)),
        default=Value(len(month_list) - 1),
        output_field=IntegerField(),
    )
    per_month = (
        bookings.annotate(month_index=month_index)
        .values("therapist_id", "month_index")
        .annotate(
            visits=Count("pk", filter=Q(status=status.COMPLETED)),
            revenue=Sum("price", filter=Q(status=status.COMPLETED)),
            cancellations=Count("pk", filter=Q(status=status.CANCELLED)),
            no_shows=Count("pk", filter=Q(status=status.NO_SHOW)),
        )
        .order_by()
    )
    rows: dict[int, TherapistRow] = {}

    def row_for(pk: int) -> TherapistRow:
        if pk not in rows:
            rows[pk] = TherapistRow(therapist_id=pk, name="")
        return rows[pk]

    for r in per_month:
        month = month_list[r["month_index"]]
        figures = row_for(r["therapist_id"]).months.setdefault(month, MonthFigures())
        figures.visits = r["visits"]
        figures.revenue = r["revenue"] or Decimal("0.00")
        figures.cancellations = r["cancellations"]
        figures.no_shows = r["no_shows"]

    # Money collected: the payments app's own totals, month by month.
    for month in month_list:
        month_end = month_starts(month, 2)[1]
        for t in totals_by_therapist(start=_instant(month), end=_instant(month_end)):
            if therapist_id is not None and t.therapist_id != therapist_id:
                continue
            net = t.collected_cents - t.refunded_cents
            row_for(t.therapist_id).months.setdefault(month, MonthFigures()).collected_cents = net

    feedback_rows = Feedback.objects.filter(
        booking__starts_at__gte=begin, booking__starts_at__lt=end
    )
    if therapist_id is not None:
        feedback_rows = feedback_rows.filter(therapist_id=therapist_id)
    feedback = (
        feedback_rows.values("therapist_id")
        .annotate(
            n=Count("pk"),
            soreness=Avg("soreness"),
            too_deep=Count("pk", filter=Q(pressure=Feedback.Pressure.TOO_DEEP)),
        )
        .order_by()
    )
    for f in feedback:
        row = row_for(f["therapist_id"])
        row.feedback_count = f["n"]
        row.average_soreness = float(f["soreness"]) if f["soreness"] is not None else None
        row.too_deep_count = f["too_deep"]

    # Rebooking: only visits whose six weeks are over can say whether they were followed. One
    # ordered pass over the visits of each client with each therapist (a correlated subquery
    # per visit took seconds at 200,000 bookings).
    settled_until = min(end, now - REBOOKING_WINDOW)
    if settled_until > begin:
        visits = Booking.objects.filter(
            status__in=REBOOKED_STATUSES,
            starts_at__gte=begin,
            starts_at__lt=settled_until + REBOOKING_WINDOW,
        )
        if therapist_id is not None:
            visits = visits.filter(therapist_id=therapist_id)
        previous: tuple[int, int, dt.datetime, str] | None = None
        for current in visits.order_by("client_id", "therapist_id", "starts_at").values_list(
            "client_id", "therapist_id", "starts_at", "status"
        ):
            if previous is not None:
                _count_rebooking(previous, current, settled_until, row_for)
            previous = current
        if previous is not None:
            _count_rebooking(previous, None, settled_until, row_for)

    names = dict(TherapistProfile.objects.filter(pk__in=rows).values_list("pk", "display_name"))
    totals = {m: MonthFigures() for m in month_list}
    grand = MonthFigures()
    for row in rows.values():
        row.name = names.get(row.therapist_id, f"#{row.therapist_id}")
        for month, figures in row.months.items():
            row.total.add(figures)
            totals.setdefault(month, MonthFigures()).add(figures)
        grand.add(row.total)
    ordered = sorted(rows.values(), key=lambda r: (r.name.lower(), r.therapist_id))
    return Report(
        start=month_list[0],
        months=month_list,
        therapists=ordered,
        totals=totals,
        grand_total=grand,
    )


MONTHLY_CSV_HEADER = (
    "therapist_id",
    "therapist",
    "month",
    "visits",
    "revenue_at_listed_prices",
    "payments_collected",
    "cancellations",
    "no_shows",
)
THERAPIST_CSV_HEADER = (
    "therapist_id",
    "therapist",
    "visits",
    "revenue_at_listed_prices",
    "payments_collected",
    "cancellations",
    "no_shows",
    "feedback_count",
    "average_soreness",
    "too_deep_rate",
    "completed_visits_past_six_weeks",
    "rebooked_within_six_weeks",
    "rebooking_rate",
)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def monthly_csv_rows(report: Report) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for row in report.therapists:
        for month in report.months:
            f = row.months.get(month)
            if f is None:
                continue
            out.append(
                (
                    row.therapist_id,
                    row.name,
                    month.strftime("%Y-%m"),
                    f.visits,
                    f"{f.revenue:.2f}",
                    f"{f.collected:.2f}",
                    f.cancellations,
                    f.no_shows,
                )
            )
    return out


def therapist_csv_rows(report: Report) -> list[tuple[object, ...]]:
    return [
        (
            row.therapist_id,
            row.name,
            row.total.visits,
            f"{row.total.revenue:.2f}",
            f"{row.total.collected:.2f}",
            row.total.cancellations,
            row.total.no_shows,
            row.feedback_count,
            "" if row.average_soreness is None else f"{row.average_soreness:.2f}",
            _ratio(row.too_deep_rate),
            row.rebooking_visits,
            row.rebooked,
            _ratio(row.rebooking_rate),
        )
        for row in report.therapists
    ]
