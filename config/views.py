"""Site-wide pages that belong to no single app: the landing page and the health check."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import cast

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from config.celery import app as celery_app
from therapists.models import Modality

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    modalities = Modality.objects.order_by("position", "name")
    return render(request, "home.html", {"modalities": modalities})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health check: database is down")
        return False


# The broker is asked on a pooled connection (not a new one per call), in a worker thread the
# request waits on for at most BROKER_CHECK_SECONDS: a broker that accepts connections but never
# answers (a frozen Redis) is "down" in time for a load balancer, not a hung request.
BROKER_CHECK_SECONDS = 1.5
_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")


def _ping_broker() -> bool:
    # celery-types calls the pool's items producers; they are kombu connections.
    pooled = celery_app.pool.acquire(block=True, timeout=1)
    with cast(Connection, pooled) as conn:
        try:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=1)
            channel = conn.default_channel
            client = getattr(channel, "client", None)
            if client is not None:  # Redis: a round trip proves it answers
                client.ping()
        except Exception:
            conn.collect()  # drop the broken connection: the next check opens a fresh one
            raise
    return True


def _broker_ok() -> bool:
    future = _checks.submit(_ping_broker)
    try:
        return future.result(timeout=BROKER_CHECK_SECONDS)
    except FutureTimeout:
        logger.error("health check: the broker did not answer in %ss", BROKER_CHECK_SECONDS)
        return False
    except Exception:
        logger.exception("health check: broker is down")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    status = {
        "database": "ok" if _database_ok() else "down",
        "broker": "ok" if _broker_ok() else "down",
    }
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)
