"""Every account e-mail (allauth's) as delivered: it names HomeKnots, its subject has no
"[127.0.0.1:8000]", and no placeholder is left empty ("Hello from !", "on .", "None")."""

from __future__ import annotations

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.test import RequestFactory
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

EMPTY_PLACEHOLDERS = re.compile(r"from !|\bon \.|\[|\]|\bNone\b|\{\{|\{%|: ,|  \n|\(\)")


def _assert_reads_well(message, *, subject: str) -> None:
    assert message.subject == f"HomeKnots: {subject}"
    body = message.body
    assert "Hello from HomeKnots," in body
    assert "The HomeKnots team" in body
    assert "http://127.0.0.1:8000" in body  # the site's address, from SITE_URL
    for text in (message.subject, body):
        found = EMPTY_PLACEHOLDERS.search(text)
        assert found is None, f"{found.group()!r} in {text!r}"


def test_the_sign_up_confirmation(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "first_name": "Robin",
                "last_name": "Lee",
                "email": "robin@example.com",
                "password1": "knots-be-gone-2026",
                "password2": "knots-be-gone-2026",
            },
        )
    (message,) = mailoutbox
    _assert_reads_well(message, subject="Welcome: confirm your e-mail address")
    assert "Welcome to HomeKnots! One step is left" in message.body
    assert "Please confirm that robin@example.com is your e-mail address for HomeKnots" in (
        message.body
    )
    assert re.search(
        r"Open this link to confirm it:\nhttp://\S+/accounts/confirm-email/\S+/", message.body
    )


def test_a_confirmation_sent_again(client, mailoutbox, django_capture_on_commit_callbacks):
    user = factories.UserFactory(email="kim@example.com")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_email"), {"action_send": "", "email": "kim@example.com"}
        )
    assert response.status_code == 302
    (message,) = mailoutbox
    _assert_reads_well(message, subject="Confirm your e-mail address")
    assert "Welcome" not in message.body


def test_the_password_reset_link(client, mailoutbox, django_capture_on_commit_callbacks):
    factories.UserFactory(email="kim@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "kim@example.com"})
    (message,) = mailoutbox
    _assert_reads_well(message, subject="Reset your password")
    assert "reset the password of your HomeKnots account" in message.body
    assert "/accounts/password/reset/key/" in message.body


def test_a_reset_for_an_unknown_address(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    (message,) = mailoutbox
    _assert_reads_well(message, subject="No account with this address")
    assert "for nobody@example.com, but we have no account" in message.body
    assert "/accounts/signup/" in message.body


def test_a_changed_password_is_noticed(client, mailoutbox, django_capture_on_commit_callbacks):
    user = factories.UserFactory(email="kim@example.com")
    factories.ClientProfileFactory(user=user, time_zone="America/Los_Angeles")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_change_password"),
            {
                "oldpassword": factories.PASSWORD,
                "password1": "a-new-knot-free-2026",
                "password2": "a-new-knot-free-2026",
            },
        )
    assert response.status_code == 302
    (message,) = mailoutbox
    _assert_reads_well(message, subject="Your password was changed")
    # The time in the account holder's own zone, named once, in words.
    assert re.search(r"When: \w{3}, \w{3} \d{1,2}, \d{1,2}:\d\d [AP]M Pacific Time\n", message.body)
    assert "From the internet address: 127.0.0.1" in message.body


@pytest.mark.parametrize(
    ("prefix", "extra", "subject", "says"),
    [
        (
            "account/email/email_changed",
            {"from_email": "old@example.com", "to_email": "kim@example.com"},
            "Your e-mail address was changed",
            "changed from old@example.com to kim@example.com",
        ),
        ("account/email/password_reset", {}, "Your password was reset", "security notice"),
        ("account/email/password_set", {}, "Your password was set", "security notice"),
        ("account/email/email_confirm", {}, "Your e-mail address is confirmed", "notice"),
        (
            "account/email/email_deleted",
            {"deleted_email": "old@example.com"},
            "An e-mail address was removed from your account",
            "old@example.com",
        ),
        ("mfa/email/totp_activated", {}, "Two-factor login is on", "was turned on"),
        ("mfa/email/totp_deactivated", {}, "Two-factor login is off", "was turned off"),
        ("mfa/email/recovery_codes_generated", {}, "New recovery codes", "recovery codes"),
    ],
)
def test_each_security_notice(
    mailoutbox, django_capture_on_commit_callbacks, prefix, extra, subject, says
):
    user = factories.UserFactory(email="kim@example.com")
    request = RequestFactory().post("/", HTTP_USER_AGENT="Firefox")
    request.user = user
    with (
        allauth_context.request_context(request),
        django_capture_on_commit_callbacks(execute=True),
    ):
        get_adapter(request).send_notification_mail(prefix, user, extra, email=user.email)
    (message,) = mailoutbox
    _assert_reads_well(message, subject=subject)
    assert says in message.body
    assert "Browser: Firefox" in message.body
    assert "Eastern Time" in message.body  # no profile: the site's zone
