from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from core.breaker import reset_all
from tests import factories
from tests.payments.localstripe import WEBHOOK_SECRET, LocalStripe, start_localstripe


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded photos from tests never land in var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client_user(db):
    return factories.ClientProfileFactory().user


@pytest.fixture
def therapist(db):
    return factories.TherapistProfileFactory()


@pytest.fixture
def staff_user(db):
    return factories.StaffFactory()


@pytest.fixture
def logged_in(client: Client):
    """Log a user in on the test client: ``logged_in(user)`` returns the client."""

    def _login(user) -> Client:
        client.force_login(user)
        return client

    return _login


WORKER_CLAIM_LEASE_SECONDS = 3


@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path):
    """Start real Celery worker processes against Redis and the test database.

    ``start(n=1)`` starts ``n`` workers and returns their ``Popen`` objects; mail they send
    is written under ``mail_dir``. Skipped unless the suite runs on PostgreSQL with a Redis
    broker (the second stage of .ci/run)."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    from config.celery import app

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://… (the PostgreSQL + Redis stage of .ci/run)")
    if connection.vendor != "postgresql":
        pytest.skip("worker processes share the test database only on PostgreSQL")

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_TESTING": "1",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_URL": f"filemail:///{mail_dir}",
        # A short lease, so what a killed worker held is picked up within seconds.
        "DELIVERY_CLAIM_LEASE_SECONDS": str(WORKER_CLAIM_LEASE_SECONDS),
    }
    root = Path(__file__).resolve().parent.parent
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")

    processes: list[subprocess.Popen[bytes]] = []

    def start(
        n: int = 1, concurrency: int = 2, broker_url: str | None = None
    ) -> list[subprocess.Popen[bytes]]:
        # ``broker_url``: point these workers at another broker (e.g. one the test stops).
        started = []
        for i in range(n):
            log = open(tmp_path / f"worker-{len(processes)}.log", "wb")  # noqa: SIM115
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    str(concurrency),
                    "--without-gossip",
                    "--without-mingle",
                    "-n",
                    f"test{len(processes)}-{i}@%h",
                ],
                cwd=root,
                env={**env, "CELERY_BROKER_URL": broker_url} if broker_url else env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            processes.append(proc)
            started.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if broker_url:
                # Control commands go out through the app's default broker, so they cannot
                # reach these workers: wait for each one to log that it is ready instead.
                logs = [tmp_path / f"worker-{processes.index(p)}.log" for p in started]
                if all(b" ready." in log.read_bytes() for log in logs):
                    break
                time.sleep(0.2)
                continue
            replies = app.control.ping(timeout=1.0) or []
            if len(replies) >= len([p for p in processes if p.poll() is None]):
                break
        return started

    start.mail_dir = mail_dir  # type: ignore[attr-defined]
    start.logs = tmp_path  # type: ignore[attr-defined]
    yield start
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture(autouse=True)
def _closed_breakers():
    # A broker or cache outage staged by one test must not make the next one skip Redis.
    reset_all()


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test starts with an empty cache: cached free times, throttling counters and
    # one-time codes from another test (whose rows were rolled back) never leak in.
    cache.clear()


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """A real localstripe process (the fake Stripe server, a dev dependency) on a free port,
    for the whole session: no service to install, the same in `make test` and CI."""
    server = start_localstripe(tmp_path_factory.mktemp("localstripe"))
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except Exception:
        server.process.kill()


@pytest.fixture
def stripe_on(settings, localstripe: LocalStripe) -> LocalStripe:
    """Payments switched on (they are off in tests by default) against localstripe, with the
    site's default terms."""
    settings.PAYMENTS_ENABLED = True
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_JS_URL = f"{localstripe.url}/js.stripe.com/v3/"
    settings.STRIPE_TIMEOUT_SECONDS = 5
    settings.PAYMENTS_DEFAULT_MODE = "card"
    settings.PAYMENTS_DEFAULT_DEPOSIT_PERCENT = 20
    settings.PAYMENTS_DEFAULT_LATE_CANCEL_PERCENT = 50
    settings.PAYMENTS_DEFAULT_NO_SHOW_PERCENT = 100
    return localstripe
