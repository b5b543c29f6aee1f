"""A real Celery worker against Redis executes a task sent from a request."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from tests import factories


@pytest.mark.redis
def test_a_task_sent_from_a_request_is_executed_by_a_real_worker(client, celery_worker_process):
    celery_worker_process(1)
    factories.UserFactory(email="worker-proof@example.com")

    response = client.post(reverse("account_reset_password"), {"email": "worker-proof@example.com"})
    assert response.status_code == 302

    mail_dir = celery_worker_process.mail_dir
    deadline = time.monotonic() + 60
    sent: list = []
    while time.monotonic() < deadline and not sent:
        sent = list(mail_dir.glob("*.log"))
        time.sleep(0.25)
    assert sent, "the worker did not send the password reset e-mail"
    content = sent[0].read_text()
    assert "worker-proof@example.com" in content
    assert "/accounts/password/reset/key/" in content
