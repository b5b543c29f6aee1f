from __future__ import annotations

from typing import Any

from celery import shared_task

from accounts.mail import message_from_dict


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def send_email_message(self: Any, payload: dict[str, Any]) -> None:
    """Send one rendered e-mail. A transient SMTP/network error is retried with backoff."""
    message_from_dict(payload).send()
