"""A client's data in the back office: the export holds everything about them and nothing of
anyone else; erasure leaves no health text and no identity, keeps the money, closes the
login; both go through a confirmation and into the audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aftercare.models import Feedback, Reminder
from backoffice.models import AuditEntry
from booking.models import Booking
from clients.models import ClientProfile, Intake, IntakeAccessLog
from core.models import Email
from payments.models import Payment
from tests import factories
from tests.aftercare.factories import ReminderFactory, SessionNoteFactory, past_visit


@dataclass
class Someone:
    client: ClientProfile
    past: Booking
    future: Booking
    secrets: tuple[str, ...]


def _someone(tag: str, *, phone: str) -> Someone:
    user = factories.UserFactory(
        email=f"person-{tag}@example.com", first_name=f"First{tag}", last_name=f"Last{tag}"
    )
    client = factories.ClientProfileFactory(
        user=user,
        phone=phone,
        street=f"{tag} Hidden Lane",
        access_notes=f"Gate code {tag}-4471",
        emergency_contact_name=f"Sibling{tag}",
    )
    intake = factories.IntakeFactory(
        client=client,
        medications=f"Warfarin-{tag}",
        goals=f"Sleep through the night-{tag}",
        other_notes=f"Old whiplash-{tag}",
    )
    factories.PainAreaFactory(intake=intake)
    past = past_visit(client=client, intake=intake, hours_ago=72)
    SessionNoteFactory(
        booking=past,
        trigger_points=f"Levator scapulae-{tag}",
        client_response=f"Tearful-{tag}",
        advice=f"Heat pack-{tag}",
    )
    Feedback.objects.create(
        booking=past,
        client=client,
        therapist=past.therapist,
        soreness=8,
        area_soreness={"neck-back": 8},
        pressure=Feedback.Pressure.TOO_DEEP,
        rating=4,
        comment=f"Lovely-{tag}",
        message=f"My migraine came back-{tag}",
    )
    Payment.objects.create(
        booking=past,
        action=Payment.Action.BALANCE,
        status=Payment.Status.SUCCEEDED,
        amount_cents=9500,
        idempotency_key=f"balance-{tag}",
    )
    ReminderFactory(client=client, booking=past, subject=f"Hello First{tag}", body=f"Hi-{tag}")
    ReminderFactory(
        client=client,
        kind=Reminder.Kind.FOLLOW_UP,
        due_at=timezone.now() + dt.timedelta(days=3),
        status=Reminder.Status.PENDING,
        body=f"Book again-{tag}",
    )
    Email.objects.create(
        kind="rendered",
        to=user.email,
        facts={"body": f"Welcome First{tag}"},
        due_at=timezone.now(),
        next_attempt_at=timezone.now(),
    )
    future = factories.BookingFactory(
        client=client,
        intake=intake,
        starts_at=(timezone.now() + dt.timedelta(days=5)).replace(minute=0, second=0),
        access_notes=f"Dog is friendly-{tag}",
    )
    secrets = (
        f"Warfarin-{tag}",
        f"Sleep through the night-{tag}",
        f"Old whiplash-{tag}",
        f"Levator scapulae-{tag}",
        f"Tearful-{tag}",
        f"Heat pack-{tag}",
        f"Lovely-{tag}",
        f"My migraine came back-{tag}",
        f"{tag} Hidden Lane",
        f"Gate code {tag}",
        f"Dog is friendly-{tag}",
        f"Sibling{tag}",
        f"First{tag}",
        f"Last{tag}",
        f"person-{tag}@example.com",
        phone,
        f"Book again-{tag}",
    )
    return Someone(client=client, past=past, future=future, secrets=secrets)


@pytest.fixture
def alice(db) -> Someone:
    return _someone("Alice", phone="+1 212 555 0111")


@pytest.fixture
def bob(db) -> Someone:
    return _someone("Bob", phone="+1 212 555 0122")


@pytest.fixture
def staff(db, client: Client):
    user = factories.StaffFactory()
    client.force_login(user)
    return user


def _every_text_in_the_database() -> Iterator[tuple[str, str]]:
    """Every char, text and JSON value of every row of every table."""
    for model in apps.get_models():
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not columns:
            continue
        for values in model._default_manager.values_list(*columns):
            for value in values:
                if value:
                    yield (
                        model._meta.label,
                        json.dumps(value) if not isinstance(value, str) else value,
                    )


def _found(secrets: tuple[str, ...]) -> list[str]:
    return [
        f"{label}: {secret!r}"
        for label, text in _every_text_in_the_database()
        for secret in secrets
        if secret.lower() in text.lower()
    ]


def _export_url(someone: Someone) -> str:
    return reverse("backoffice:client_export", args=[someone.client.pk])


def _erase_url(someone: Someone) -> str:
    return reverse("backoffice:client_erase", args=[someone.client.pk])


def test_it_asks_before_exporting_and_exports_nothing_on_the_first_step(client, staff, alice):
    page = client.get(_export_url(alice))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Yes, export this client’s data" in text
    assert "Health intakes (every version)" in text
    assert not AuditEntry.objects.exists()
    # The client's admin page links to both steps.
    change = client.get(reverse("admin:clients_clientprofile_change", args=[alice.client.pk]))
    assert _export_url(alice) in change.content.decode()
    assert _erase_url(alice) in change.content.decode()


def test_the_json_export_holds_the_clients_data_and_nothing_of_another(client, staff, alice, bob):
    response = client.post(_export_url(alice), {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    data = json.loads(body)
    for secret in alice.secrets:
        assert secret.lower() in body.lower(), secret
    for secret in bob.secrets:
        assert secret.lower() not in body.lower(), secret
    assert data["client_id"] == alice.client.pk
    assert [i["medications"] for i in data["intakes"]] == ["Warfarin-Alice"]
    assert {b["id"] for b in data["bookings"]} == {alice.past.pk, alice.future.pk}
    assert [p["amount_cents"] for p in data["payments"]] == [9500]
    assert "password" not in data["account"][0]
    # Logged as a view of health data, and audited.
    logged = set(
        IntakeAccessLog.objects.filter(client=alice.client, context="export").values_list(
            "record", flat=True
        )
    )
    assert logged == {"intake", "notes", "feedback"}
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.subject_id) == (
        staff,
        AuditEntry.Action.CLIENT_EXPORT,
        alice.client.pk,
    )


def test_the_readable_export_is_a_page_with_every_section(client, staff, alice, bob):
    page = client.post(_export_url(alice), {"format": "html"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Warfarin-Alice" in text and "Levator scapulae-Alice" in text
    assert "Who looked at the health data" in text
    assert "Warfarin-Bob" not in text


def test_a_bad_export_format_is_a_form_error(client, staff, alice):
    response = client.post(_export_url(alice), {"format": "pdf"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_staff_without_two_factor_can_neither_export_nor_erase(client, alice):
    client.force_login(factories.StaffFactory(mfa=False))
    assert client.get(_export_url(alice)).status_code == 403
    assert client.post(_erase_url(alice), {"confirm": "on"}).status_code == 403
    assert Intake.objects.filter(client=alice.client).exists()


def test_a_missing_client_is_a_404(client, staff):
    assert client.get(reverse("backoffice:client_export", args=[999999])).status_code == 404


def test_erasing_needs_the_box_ticked(client, staff, alice):
    page = client.get(_erase_url(alice))
    assert page.status_code == 200
    assert "1 future visit will be cancelled" in page.content.decode()
    response = client.post(_erase_url(alice), {})
    assert response.status_code == 400
    assert Intake.objects.filter(client=alice.client).exists()
    assert not AuditEntry.objects.exists()


def test_erasing_leaves_no_health_text_or_identity_and_keeps_the_money(
    client, staff, alice, bob, django_capture_on_commit_callbacks
):
    person = Client()
    person.force_login(alice.client.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_erase_url(alice), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:clients_clientprofile_change", args=[alice.client.pk]
    )

    assert _found(alice.secrets) == []
    # Bob is untouched.
    assert len(_found(("Warfarin-Bob", "person-Bob@example.com", "Bob Hidden Lane"))) >= 3

    assert not Intake.objects.filter(client=alice.client).exists()
    past = Booking.objects.get(pk=alice.past.pk)
    assert (past.status, past.price, past.starts_at) == (
        Booking.Status.COMPLETED,
        Decimal("95.00"),
        alice.past.starts_at,
    )
    assert Payment.objects.get(booking=past).amount_cents == 9500
    assert Booking.objects.get(pk=alice.future.pk).status == Booking.Status.CANCELLED
    assert not Reminder.objects.filter(client=alice.client, status="pending").exists()
    # Feedback numbers stay for the reports.
    assert Feedback.objects.get(booking=past).soreness == 8

    # The login is closed: the old password is refused, and the open session is over.
    login = Client().post(
        reverse("account_login"),
        {"login": "person-Alice@example.com", "password": factories.PASSWORD},
    )
    assert login.status_code == 200
    assert "_auth_user_id" not in login.client.session
    dashboard = person.get(reverse("dashboard"))
    assert dashboard.status_code == 302 and "/accounts/login/" in dashboard["Location"]

    entry = AuditEntry.objects.get(action=AuditEntry.Action.CLIENT_ERASE)
    assert (entry.actor, entry.subject_id) == (staff, alice.client.pk)
    assert entry.detail["future_visits_cancelled"] == 1
    assert entry.detail["intakes_deleted"] == 1
    # The client's page says what happened.
    follow = client.get(response["Location"])
    assert "erased" in follow.content.decode()


def test_a_second_erasure_is_harmless(client, staff, alice):
    assert client.post(_erase_url(alice), {"confirm": "on"}).status_code == 302
    kept = list(Booking.objects.filter(client=alice.client).values_list("pk", "status", "price"))
    again = client.post(_erase_url(alice), {"confirm": "on"}, follow=True)
    assert again.status_code == 200
    assert "already been erased" in again.content.decode()
    assert (
        list(Booking.objects.filter(client=alice.client).values_list("pk", "status", "price"))
        == kept
    )
    entries = list(AuditEntry.objects.order_by("at", "pk").values_list("action", "detail"))
    assert len(entries) == 2
    assert entries[1] == (AuditEntry.Action.CLIENT_ERASE, {"already_erased": True})
    assert _found(alice.secrets) == []


def test_the_clients_admin_page_is_read_only_with_intake_versions_and_access_log(
    client, staff, alice
):
    therapist = alice.past.therapist.user
    IntakeAccessLog.objects.create(
        client=alice.client, viewer=therapist, record="intake", context="visit"
    )
    page = client.get(reverse("admin:clients_clientprofile_change", args=[alice.client.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    intake = Intake.objects.get(client=alice.client)
    assert reverse("admin:clients_intake_change", args=[intake.pk]) in text
    assert "Health data access log" in text and therapist.email in text
    assert 'name="_save"' not in text
    # Reading the page is not reading the intake: nothing logged for staff.
    assert not IntakeAccessLog.objects.filter(viewer=staff).exists()
    assert (
        client.post(
            reverse("admin:clients_clientprofile_change", args=[alice.client.pk]),
            {"phone": "+1 000"},
        ).status_code
        == 403
    )
