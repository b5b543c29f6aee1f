"""Enqueue an e-mail: the only way the product sends one.

``enqueue(kind=..., to=..., facts=...)`` writes an :class:`core.models.Email` row in the
caller's transaction. ``kind`` names the one builder that turns ``facts`` into the message
(each app registers its builders in ``AppConfig.ready``); ``facts`` are the primary keys and
values the builder needs, never a rendered copy. After commit the row is sent at once through
a best-effort nudge to Celery; if the broker is unreachable the nudge is dropped with a log
line, never an exception, and beat's dispatcher sends the row within a minute of the broker's
return (``core.delivery``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import delivery
from core.models import Email
from core.nudge import nudge
from core.tasks import send_email

Builder = Callable[[dict[str, Any], str], EmailMessage]
Wanted = Callable[[dict[str, Any]], bool]
_BUILDERS: dict[str, Builder] = {}
_WANTED: dict[str, Wanted] = {}

# A message already rendered by a library we do not own (allauth): its facts are the message.
RENDERED = "rendered"


def builder(kind: str) -> Callable[[Builder], Builder]:
    """Register the function that builds e-mails of ``kind``: ``fn(facts, to) -> message``."""

    def register(fn: Builder) -> Builder:
        if kind in _BUILDERS and _BUILDERS[kind] is not fn:
            raise ValueError(f"a builder for {kind!r} is registered already")
        _BUILDERS[kind] = fn
        return fn

    return register


def still_wanted(kind: str) -> Callable[[Wanted], Wanted]:
    """Register a check run when a row of ``kind`` comes due: False skips it (a nudge about
    notes that have been written meanwhile)."""

    def register(fn: Wanted) -> Wanted:
        _WANTED[kind] = fn
        return fn

    return register


def build(kind: str, facts: dict[str, Any], to: str) -> EmailMessage:
    try:
        fn = _BUILDERS[kind]
    except KeyError as exc:
        raise LookupError(f"no builder for e-mails of kind {kind!r}") from exc
    return fn(facts, to)


def enqueue(
    *,
    kind: str,
    to: str,
    facts: dict[str, Any],
    key: str | None = None,
    due_at: dt.datetime | None = None,
    nudge: bool = True,
) -> Email | None:
    """Write the e-mail in the current transaction and send it after commit.

    ``key``: an idempotency key; enqueueing a key that exists already does nothing and
    returns None (a retried request, a double click)."""
    if kind not in _BUILDERS:
        raise LookupError(f"no builder for e-mails of kind {kind!r}")
    now = timezone.now()
    email = Email(
        kind=kind,
        to=to,
        facts=facts,
        key=key,
        due_at=due_at or now,
        next_attempt_at=due_at or now,
    )
    if key is not None:
        try:
            with transaction.atomic():
                email.save()
        except IntegrityError:
            return None
    else:
        email.save()
    if nudge and email.due_at <= now:
        pk = email.pk
        transaction.on_commit(lambda: nudge_send(pk))
    return email


def nudge_send(pk: int) -> None:
    """Ask a worker to send row ``pk`` now. Best effort (core.nudge): a broker outage costs
    latency (beat sends it within a minute of the broker's return), never the request, and a
    frozen broker holds the request half a second at most."""
    nudge(send_email, args=(pk,), what=f"e-mail {pk}", otherwise="it waits for the dispatcher")


def message_to_facts(message: EmailMessage) -> dict[str, Any]:
    """A message rendered by someone else, as JSON facts for the ``rendered`` builder."""
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "reply_to": list(message.reply_to),
        "headers": {k: str(v) for k, v in message.extra_headers.items()},
        "alternatives": [[str(content), mimetype] for content, mimetype in alternatives],
    }


@builder(RENDERED)
def build_rendered(facts: dict[str, Any], to: str) -> EmailMessage:
    message = EmailMultiAlternatives(
        subject=facts["subject"],
        body=facts["body"],
        from_email=facts.get("from_email"),
        to=[to],
        reply_to=facts.get("reply_to") or None,
        headers=facts.get("headers") or None,
    )
    for content, mimetype in facts.get("alternatives", []):
        message.attach_alternative(content, mimetype)
    return message


class OutboxQueue(delivery.Queue):
    name = "outbox"
    model = Email

    def decide(self, row: Email, *, now: dt.datetime) -> tuple[str, str]:
        wanted = _WANTED.get(row.kind)
        if wanted is not None and not wanted(row.facts):
            return Email.Status.SKIPPED, "not needed"
        return super().decide(row, now=now)

    def build(self, row: Email, *, now: dt.datetime) -> EmailMessage:
        return build(row.kind, row.facts, row.to)

    def copy_fields(self, row: Email, message: EmailMessage) -> dict[str, Any]:
        return {"subject": str(message.subject)[:255]}

    def sent_fields(self, row: Email, message: EmailMessage) -> dict[str, Any]:
        fields = self.copy_fields(row, message)
        if row.kind == RENDERED:
            # A rendered message may carry a secret (a password-reset link): keep the subject
            # for the record, drop the rest once it has gone.
            fields["facts"] = {"subject": row.facts.get("subject", "")}
        return fields


OUTBOX = delivery.register(OutboxQueue())
