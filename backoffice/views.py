"""Staff pages beside the admin: a client's data (export, erasure) and the reports. Each
parses the request, checks who asks, calls one service or selector, and renders."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.http import request_user
from backoffice import charts
from backoffice.forms import EraseForm, ExportForm, ReportForm, default_report_query
from backoffice.privacy import (
    SECTIONS,
    client_erase,
    client_export,
    client_export_data,
    erase_preview,
    is_erased,
)
from backoffice.reports import (
    MONTHLY_CSV_HEADER,
    THERAPIST_CSV_HEADER,
    business_report,
    monthly_csv_rows,
    therapist_csv_rows,
)
from booking.policy import BookingRefused
from clients.models import ClientProfile
from clients.permissions import staff_may_see_health_data

ERASE_PERMISSION = "clients.delete_clientprofile"
REPORT_PERMISSION = "booking.view_booking"


def _context(request: HttpRequest, title: Any, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title, **extra}


def _client(pk: int) -> ClientProfile:
    return get_object_or_404(ClientProfile.objects.select_related("user"), pk=pk)


def _may_export(request: HttpRequest) -> None:
    # An export holds health data: the staff part of the health-data rule applies.
    if not staff_may_see_health_data(request.user):
        raise PermissionDenied(
            _("Exporting a client's data needs the health-data permission and two-factor login.")
        )


def client_export_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what an export holds, and the choice of format. POST: the export itself (logged,
    audited)."""
    _may_export(request)
    client = _client(pk)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = client_export(client=client, actor=request_user(request))
        if form.cleaned_data["format"] == "json":
            body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
            response = HttpResponse(body, content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="client-{client.pk}-export.json"'
            )
            return response
        sections = [
            {"key": key, "title": title, "rows": data.get(key, [])} for key, title in SECTIONS
        ]
        return TemplateResponse(
            request,
            "backoffice/client_export.html",
            _context(
                request,
                _("Everything held about client #%(pk)s") % {"pk": client.pk},
                client=client,
                sections=sections,
                exported_at=data["exported_at"],
            ),
        )
    held = client_export_data(client=client)
    summary = [(title, len(held[key])) for key, title in SECTIONS]
    return TemplateResponse(
        request,
        "backoffice/client_export_confirm.html",
        _context(
            request,
            _("Export client #%(pk)s's data") % {"pk": client.pk},
            client=client,
            form=form,
            summary=summary,
        ),
        status=400 if request.method == "POST" else 200,
    )


def client_erase_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what erasing will do, to confirm. POST with the box ticked: erase."""
    _may_export(request)
    if not request.user.has_perm(ERASE_PERMISSION):
        raise PermissionDenied(_("Erasing a client needs the permission to delete clients."))
    client = _client(pk)
    change_url = reverse("admin:clients_clientprofile_change", args=[client.pk])
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = client_erase(client=client, actor=request_user(request))
        except BookingRefused as exc:
            messages.error(request, _("Nothing was erased: %(why)s") % {"why": exc})
            return HttpResponseRedirect(request.path)
        if result.already_erased:
            messages.info(request, _("This client had already been erased; nothing changed."))
        else:
            messages.success(
                request,
                _(
                    "Client #%(pk)s erased: %(cancelled)s future visits cancelled, "
                    "%(intakes)s intakes deleted, past visits and payments kept anonymously."
                )
                % {
                    "pk": client.pk,
                    "cancelled": result.counts.get("future_visits_cancelled", 0),
                    "intakes": result.counts.get("intakes_deleted", 0),
                },
            )
        return HttpResponseRedirect(change_url)
    return TemplateResponse(
        request,
        "backoffice/client_erase_confirm.html",
        _context(
            request,
            _("Erase client #%(pk)s") % {"pk": client.pk},
            client=client,
            form=form,
            preview=erase_preview(client=client, now=timezone.now()),
            already_erased=is_erased(client),
            change_url=change_url,
        ),
        status=400 if request.method == "POST" else 200,
    )


def _csv(filename: str, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def reports_page(request: HttpRequest) -> HttpResponse:
    """Visits, money, cancellations, no-shows, soreness and rebooking per therapist and month;
    ``?download=monthly`` or ``?download=therapists`` for the CSV."""
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied(_("The reports need the permission to view bookings."))
    form = ReportForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    if not valid:
        return TemplateResponse(
            request,
            "backoffice/reports.html",
            _context(request, _("Reports"), form=form, report=None),
            status=400,
        )
    if not request.GET:
        form = ReportForm(default_report_query())
        form.is_valid()
    report = business_report(
        start=form.start_date(),
        months=form.month_count(),
        therapist_id=form.cleaned_data.get("therapist"),
    )
    download = request.GET.get("download", "")
    stamp = f"{report.start:%Y-%m}-{len(report.months)}m"
    if download == "monthly":
        return _csv(f"report-monthly-{stamp}.csv", MONTHLY_CSV_HEADER, monthly_csv_rows(report))
    if download == "therapists":
        return _csv(
            f"report-therapists-{stamp}.csv", THERAPIST_CSV_HEADER, therapist_csv_rows(report)
        )
    if download:
        return HttpResponse(_("Unknown download: ask for monthly or therapists."), status=400)
    months = [(m.strftime("%b %Y"), report.totals[m]) for m in report.months]
    visit_chart = charts.bar_chart(
        title=str(_("Visits per month")), points=[(label, f.visits) for label, f in months]
    )
    revenue_chart = charts.bar_chart(
        title=str(_("Revenue at listed prices per month")),
        points=[(label, f.revenue) for label, f in months],
        unit="$",
    )
    query = request.GET.copy()
    query.pop("download", None)
    return TemplateResponse(
        request,
        "backoffice/reports.html",
        _context(
            request,
            _("Reports"),
            form=form,
            report=report,
            months=months,
            chart_list=[visit_chart, revenue_chart],
            query=query.urlencode(),
        ),
    )
