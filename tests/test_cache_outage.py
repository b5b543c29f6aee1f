"""A Redis outage of the cache is a miss, never a 500: logins keep working."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests import factories

UNREACHABLE = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.mark.django_db
def test_the_cache_answers_a_miss_when_redis_is_down(settings):
    settings.CACHES = UNREACHABLE
    cache = caches["default"]
    cache.set("k", "v")
    assert cache.get("k", "missing") == "missing"
    assert cache.add("k", "v") is True  # as a lock, granted: nobody is locked out


@pytest.mark.django_db
def test_login_works_while_the_cache_is_down(client, settings):
    settings.CACHES = UNREACHABLE
    user = factories.UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)
