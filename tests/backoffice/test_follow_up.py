"""Sore clients: feedback that alerted the therapist waits in admin until staff record that
someone got back to the client."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare.models import Feedback
from tests import factories
from tests.aftercare.factories import past_visit

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:aftercare_feedback_changelist"


def _feedback(*, alerted: bool) -> Feedback:
    visit = past_visit()
    return Feedback.objects.create(
        booking=visit,
        client=visit.client,
        therapist=visit.therapist,
        soreness=8 if alerted else 2,
        pressure=Feedback.Pressure.RIGHT,
        rating=4,
        therapist_alerted_at=timezone.now() if alerted else None,
    )


def test_staff_record_a_follow_up_once_and_the_list_empties(client):
    sore = _feedback(alerted=True)
    fine = _feedback(alerted=False)
    staff = factories.StaffFactory()
    client.force_login(staff)
    waiting = client.get(reverse(CHANGELIST), {"follow_up": "waiting"}).content.decode()
    assert f'value="{sore.pk}"' in waiting
    assert f'value="{fine.pk}"' not in waiting
    done = client.post(
        reverse(CHANGELIST),
        {"action": "record_follow_up", "_selected_action": [sore.pk]},
        follow=True,
    )
    assert "1 follow-up recorded." in html.unescape(done.content.decode())
    sore.refresh_from_db()
    assert sore.followed_up_by == staff
    first = sore.followed_up_at
    again = client.post(
        reverse(CHANGELIST),
        {"action": "record_follow_up", "_selected_action": [sore.pk]},
        follow=True,
    )
    assert "0 follow-ups recorded." in html.unescape(again.content.decode())
    sore.refresh_from_db()
    assert sore.followed_up_at == first
    waiting = client.get(reverse(CHANGELIST), {"follow_up": "waiting"}).content.decode()
    assert f'value="{sore.pk}"' not in waiting
