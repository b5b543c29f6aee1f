"""Every admin list costs the same number of queries whether it shows 5 rows or 50: no list
column reads a related row one query at a time (list_select_related, annotations)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.load import seed_load
from booking.models import Booking
from clients.models import ClientProfile
from tests import factories


def _changelist_urls() -> dict[str, str]:
    return {
        model._meta.label: reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        for model in admin.site._registry
    }


def _queries(client: Client) -> dict[str, int]:
    counts = {}
    for label, url in _changelist_urls().items():
        client.get(url)  # warm: sessions, content types, permissions
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        counts[label] = len(ctx.captured_queries)
    return counts


@pytest.mark.django_db
def test_every_changelist_costs_the_same_queries_for_5_rows_as_for_50(client):
    client.force_login(factories.StaffFactory())
    seed_load(therapists=5, clients=5, bookings=5, tag="few")
    few = _queries(client)
    seed_load(therapists=45, clients=45, bookings=450, tag="many")
    assert ClientProfile.objects.count() == 50 and Booking.objects.count() == 455
    many = _queries(client)
    grew = {label: (few[label], many[label]) for label in few if few[label] != many[label]}
    assert not grew, f"queries per changelist (5 rows, 50 rows): {grew}"
    # Every model the product registers is in the check.
    assert {"booking.Booking", "clients.ClientProfile", "payments.Payment"} <= set(few)
