"""The session engine (core.sessions): Django's database sessions, read by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from core.sessions import SessionStore
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_is_the_engine_in_use():
    assert settings.SESSION_ENGINE == "core.sessions"


def test_it_reads_what_djangos_database_sessions_wrote():
    theirs = DjangoStore()
    theirs["cart"] = {"visit": 3, "note": "ü"}
    theirs.create()

    ours = SessionStore(session_key=theirs.session_key)

    assert ours["cart"] == {"visit": 3, "note": "ü"}
    assert ours.session_key == theirs.session_key


def test_an_expired_or_unknown_session_is_empty_and_gets_a_new_key_on_save():
    old = SessionStore()
    old["x"] = 1
    old.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    for key in (old.session_key, "no-such-session-key-at-all"):
        store = SessionStore(session_key=key)
        assert store.load() == {}
        assert store.session_key is None
        store["y"] = 2
        store.save()
        assert store.session_key not in (None, key)


def test_a_logged_in_therapist_stays_logged_in_and_logging_out_ends_it(client):
    therapist = factories.TherapistProfileFactory()
    client.force_login(therapist.user)
    url = reverse("therapists:calendar_events") + "?start=2030-01-01&end=2030-01-08"

    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 403
