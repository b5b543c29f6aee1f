"""Every e-mail the product sends goes through here: rendered in the request, queued to
Celery only after the transaction commits (so a rolled-back booking sends nothing), and sent
by a worker with retries."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction


def message_to_dict(message: EmailMessage) -> dict[str, Any]:
    """A JSON-serialisable form of a message (Celery uses JSON only)."""
    alternatives = getattr(message, "alternatives", [])
    attachments = []
    for attachment in message.attachments:
        filename, content, mimetype = attachment
        if isinstance(content, bytes):
            content = content.decode()
        attachments.append([filename, content, mimetype])
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [[content, mimetype] for content, mimetype in alternatives],
        "attachments": attachments,
    }


def message_from_dict(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data.get("from_email"),
        to=data["to"],
        reply_to=data.get("reply_to") or None,
        headers=data.get("headers") or None,
    )
    for content, mimetype in data.get("alternatives", []):
        message.attach_alternative(content, mimetype)
    for filename, content, mimetype in data.get("attachments", []):
        message.attach(filename, content, mimetype)
    return message


def send_after_commit(message: EmailMessage) -> None:
    from accounts.tasks import send_email_message

    payload = message_to_dict(message)
    transaction.on_commit(lambda: send_email_message.delay(payload))
