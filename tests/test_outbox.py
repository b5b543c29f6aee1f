"""The outbox: an e-mail is a row written with the change, sent once by the dispatcher."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse

from core import delivery, outbox
from core.models import Email

pytestmark = pytest.mark.django_db


@outbox.builder("test.hello")
def _hello(facts, to) -> EmailMessage:
    return EmailMessage(subject=f"Hello {facts['name']}", body="Body", to=[to])


def test_enqueueing_the_same_key_twice_writes_one_row_and_sends_one_mail():
    first = outbox.enqueue(kind="test.hello", to="a@example.com", facts={"name": "A"}, key="k1")
    again = outbox.enqueue(kind="test.hello", to="a@example.com", facts={"name": "A"}, key="k1")
    assert first is not None and again is None
    delivery.dispatch(["outbox"])
    delivery.dispatch(["outbox"])
    (sent,) = mail.outbox
    assert sent.subject == "Hello A"
    assert sent.extra_headers["Message-ID"] == Email.objects.get().message_id


def test_an_unknown_kind_is_refused_when_enqueued_not_when_sent():
    with pytest.raises(LookupError):
        outbox.enqueue(kind="test.nobody", to="a@example.com", facts={})
    assert not Email.objects.exists()


def test_a_rendered_message_keeps_only_its_subject_once_sent():
    message = EmailMessage(subject="Reset your password", body="https://x/reset/secret", to=["a@x"])
    outbox.enqueue(kind=outbox.RENDERED, to="a@x", facts=outbox.message_to_facts(message))
    delivery.dispatch(["outbox"])
    row = Email.objects.get()
    assert "secret" in mail.outbox[0].body
    assert row.facts == {"subject": "Reset your password"}


def test_a_row_no_longer_wanted_is_skipped():
    calls = []

    @outbox.still_wanted("test.hello")
    def never(facts):
        calls.append(facts)
        return False

    try:
        outbox.enqueue(kind="test.hello", to="a@example.com", facts={"name": "A"})
        delivery.dispatch(["outbox"])
    finally:
        outbox._WANTED.pop("test.hello")
    assert calls and mail.outbox == []
    assert Email.objects.get().status == Email.Status.SKIPPED


def test_staff_see_the_outbox_and_retry_a_failed_email(client, staff_user):
    row = outbox.enqueue(kind="test.hello", to="a@example.com", facts={"name": "secret-fact"})
    Email.objects.filter(pk=row.pk).update(status=Email.Status.FAILED, attempts=5)
    client.force_login(staff_user)
    page = client.get(reverse("admin:core_email_change", args=[row.pk])).content.decode()
    assert "a@example.com" in page and "secret-fact" not in page
    client.post(
        reverse("admin:core_email_changelist"), {"action": "retry", "_selected_action": [row.pk]}
    )
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Email.Status.PENDING, 0)
