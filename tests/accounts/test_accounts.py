from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from tests import factories


@pytest.mark.django_db
def test_it_signs_up_a_client_by_email(client):
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "Robin",
            "last_name": "Lee",
            "email": "Robin@Example.com",
            "password1": "knots-be-gone-2026",
            "password2": "knots-be-gone-2026",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="robin@example.com")
    assert user.role == User.Role.CLIENT
    assert user.first_name == "Robin"
    # Logged in straight away, landing on the dashboard.
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_it_never_takes_the_role_from_the_sign_up_form(client):
    client.post(
        reverse("account_signup"),
        {
            "first_name": "Eve",
            "last_name": "Sneaky",
            "email": "eve@example.com",
            "password1": "knots-be-gone-2026",
            "password2": "knots-be-gone-2026",
            "role": "staff",
        },
    )
    user = User.objects.get(email="eve@example.com")
    assert user.role == User.Role.CLIENT
    assert not user.is_staff


@pytest.mark.django_db
def test_it_logs_in_by_email_and_out(client):
    user = factories.UserFactory(email="kim@example.com")
    response = client.post(
        reverse("account_login"), {"login": "kim@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_shows_a_clear_message_for_a_wrong_password(client):
    factories.UserFactory(email="kim@example.com")
    response = client.post(
        reverse("account_login"), {"login": "kim@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert b"not correct" in response.content


@pytest.mark.django_db
def test_it_throttles_repeated_login_failures(client):
    factories.UserFactory(email="kim@example.com")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "kim@example.com", "password": "nope"})
    # Even the right password is refused while the throttle holds.
    response = client.post(
        reverse("account_login"), {"login": "kim@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


@pytest.mark.django_db
def test_it_sends_a_password_reset_email_after_commit(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    factories.UserFactory(email="kim@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "kim@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "kim@example.com" in mailoutbox[0].to
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


@pytest.mark.django_db
def test_the_dashboard_needs_a_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_users_are_created_with_a_lowercase_email(db):
    user = User.objects.create_user("MiXeD@Example.COM", "pw-123456-x")
    assert user.email == "mixed@example.com"
    assert user.role == User.Role.CLIENT


ACCOUNT_PAGES = [
    ("account_login", False, "Log in"),
    ("account_signup", False, "Sign up"),
    ("account_reset_password", False, "Password Reset"),
    ("account_logout", True, "Log out"),
    ("account_change_password", True, "Change Password"),
    ("account_email", True, "Email Addresses"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "signed_in", "heading"), ACCOUNT_PAGES)
def test_account_pages_use_the_site_layout_and_its_words(client, name, signed_in, heading):
    if signed_in:
        client.force_login(factories.UserFactory())
    html = client.get(reverse(name)).content.decode()
    assert f'<h1 class="h3 mb-3">{heading}' in " ".join(html.split()).replace("> ", ">")
    assert 'class="navbar' in html  # the site's own base.html
    assert "form-control" in html or name == "account_logout"  # crispy-bootstrap5 fields
    # One set of words across the nav and allauth's pages.
    for wrong in ("Sign In", "Sign Out", "Sign in", "Sign out", "Signup", "Sign Up"):
        assert wrong not in html, wrong
