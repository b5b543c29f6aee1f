"""Admin and staff locked down: the admin has no login of its own (the site's, throttled, with
two-factor), staff see health data only with the permission and two-factor on, the throttle
counts per account and per client address behind a trusted proxy."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.core.cache import cache
from django.urls import reverse

from clients.models import IntakeAccessLog
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def _login(client, email, password, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def test_the_admin_login_checks_no_password_and_sends_to_the_sites_login(client):
    staff = factories.StaffFactory()
    response = client.post(
        reverse("admin:login"), {"username": staff.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_twenty_wrong_passwords_lock_the_account_even_for_the_right_one(client):
    staff = factories.StaffFactory(mfa=False)
    for _ in range(20):
        _login(client, staff.email, "wrong-password")
    response = _login(client, staff.email, factories.PASSWORD)
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


def test_behind_the_trusted_proxy_the_throttle_counts_the_client_address(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for i in range(6):
        factories.UserFactory(email=f"victim{i}@example.com")
        _login(client, f"victim{i}@example.com", "wrong", **attacker)
    # The attacker's address is throttled …
    assert (
        b"Too many failed login attempts"
        in _login(client, "victim0@example.com", "wrong", **attacker).content
    )
    # … everyone else behind the same proxy is not.
    honest = factories.UserFactory(email="honest@example.com")
    _login(client, honest.email, factories.PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert client.session.get("_auth_user_id") == str(honest.pk)


def _current_code(user) -> str:
    secret = decrypt(
        Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    )
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def test_staff_with_two_factor_are_asked_for_a_code_before_they_are_in(client):
    staff = factories.StaffFactory()
    response = _login(client, staff.email, factories.PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": _current_code(staff)})
    assert client.session.get("_auth_user_id") == str(staff.pk)


def test_staff_without_two_factor_see_no_health_data_until_they_turn_it_on(client):
    intake = factories.IntakeFactory(medications="Warfarin")
    staff = factories.StaffFactory(mfa=False)
    client.force_login(staff)
    assert client.get(reverse("clients:intake_detail", args=[intake.pk])).status_code == 404
    assert client.get(reverse("admin:clients_intake_changelist")).status_code == 403
    assert client.get(reverse("admin:aftercare_sessionnote_changelist")).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "Turn on two-factor authentication" in index
    assert not IntakeAccessLog.objects.exists()

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(staff, generate_totp_secret())
    page = client.get(reverse("clients:intake_detail", args=[intake.pk]))
    assert page.status_code == 200 and "Warfarin" in page.content.decode()
    assert IntakeAccessLog.objects.filter(viewer=staff).count() == 1


def test_a_staff_member_without_the_intake_permission_sees_no_health_data(client):
    intake = factories.IntakeFactory(medications="Warfarin")
    staff = factories.StaffFactory(is_superuser=False)
    client.force_login(staff)
    assert client.get(reverse("clients:intake_detail", args=[intake.pk])).status_code == 404
    assert client.get(reverse("admin:clients_intake_changelist")).status_code == 403


def test_therapists_and_staff_can_turn_on_two_factor(client):
    therapist = factories.TherapistProfileFactory()
    client.force_login(therapist.user)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("mfa_index") in page
    assert "Authenticator" in client.get(reverse("mfa_index")).content.decode()


def test_admin_views_of_notes_and_feedback_are_logged(client):
    from tests.aftercare.factories import SessionNoteFactory

    note = SessionNoteFactory()
    staff = factories.StaffFactory()
    client.force_login(staff)
    assert (
        client.get(reverse("admin:aftercare_sessionnote_change", args=[note.pk])).status_code == 200
    )
    log = IntakeAccessLog.objects.get()
    assert (log.viewer, log.record, log.context) == (staff, IntakeAccessLog.Record.NOTES, "admin")
