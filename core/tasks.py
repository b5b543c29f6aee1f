"""Celery tasks for outgoing e-mail: thin, take primary keys, safe to run any number of times
(the rows are the state; ``core.delivery`` claims each one before sending it)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from core import delivery


@shared_task(name="core.tasks.send_email", ignore_result=True)
def send_email(pk: int) -> dict[str, int | bool]:
    """The after-commit nudge: send outbox row ``pk`` now if nobody has."""
    return delivery.dispatch_one("outbox", pk).as_dict()


@shared_task(bind=True, name="core.tasks.dispatch_outbox", ignore_result=True)
def dispatch_outbox(self: Any) -> dict[str, int | bool]:
    """Beat runs this every minute: every due outbox row whose nudge was lost (a broker
    outage, a worker that died) or that failed and is due for a retry."""
    result = delivery.dispatch(["outbox"])
    if result.more:
        dispatch_outbox.apply_async()
    return result.as_dict()
