"""Background work for payments: thin, take primary keys, safe to run any number of times (the
rows are the state, and ``payments.services`` claims a row before it calls Stripe)."""

from __future__ import annotations

import logging

from celery import shared_task

from payments.services import payment_collect, payments_reconcile, refund_execute

logger = logging.getLogger(__name__)


@shared_task(name="payments.tasks.collect_payment", ignore_result=True)
def collect_payment(pk: int) -> str:
    """After commit: take one payment (a balance, a fee, a held deposit)."""
    return str(payment_collect(payment_id=pk).status)


@shared_task(name="payments.tasks.execute_refund", ignore_result=True)
def execute_refund(pk: int) -> str:
    return str(refund_execute(refund_id=pk).status)


@shared_task(name="payments.tasks.reconcile_payments", ignore_result=True)
def reconcile_payments() -> dict[str, int]:
    """Beat runs this every five minutes: payments whose nudge, answer or webhook was lost."""
    counts = payments_reconcile()
    if any(counts.values()):
        logger.info("reconciled payments: %s", counts)
    return counts
