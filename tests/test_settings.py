from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a production deploy sets for payments (README, Production); made-up values.
STRIPE_KEYS = {
    "STRIPE_SECRET_KEY": "sk_live_made_up",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_made_up",
    "STRIPE_WEBHOOK_SECRET": "whsec_made_up",
}


def _settings_in_subprocess(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter, as a server start-up would."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "EMAIL_URL"))
    }
    clean.update(env)
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "db = s.DATABASES['default']; "
        "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), "
        "'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, "
        "'tz': s.TIME_ZONE, 'use_tz': s.USE_TZ, 'email': s.EMAIL_BACKEND}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = _settings_in_subprocess(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_refuses_to_start_without_email_settings_in_production():
    result = _settings_in_subprocess(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "EMAIL_URL is not set" in result.stderr


def test_it_defaults_to_sqlite_and_a_serverless_broker_under_var():
    import json

    result = _settings_in_subprocess(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "var" / "db.sqlite3")
    assert values["broker"] == "filesystem://"
    assert values["hosts"] == ["localhost", "127.0.0.1"]
    assert values["use_tz"] is True
    assert values["email"] == "django.core.mail.backends.filebased.EmailBackend"


def test_it_reads_database_and_broker_from_the_environment():
    import json

    result = _settings_in_subprocess(
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/example",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
        DJANGO_ALLOWED_HOSTS="a.example,b.example",
        DJANGO_TIME_ZONE="Europe/London",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["broker"] == "redis://127.0.0.1:6379/3"
    assert values["hosts"] == ["a.example", "b.example"]
    assert values["tz"] == "Europe/London"


def test_it_refuses_to_start_without_stripe_keys_unless_payments_are_off():
    production = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 50,
        "EMAIL_URL": "smtp+tls://user:pw@mail.example:587",
    }
    refused = _settings_in_subprocess(**production)
    assert refused.returncode != 0
    assert "STRIPE_SECRET_KEY" in refused.stderr
    assert _settings_in_subprocess(**production, PAYMENTS_ENABLED="0").returncode == 0
    assert _settings_in_subprocess(**production, **STRIPE_KEYS).returncode == 0


@pytest.mark.parametrize("debug", ["0"])
def test_deploy_checks_pass_with_production_settings(debug):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG=debug,
        DJANGO_SECRET_KEY="k" * 30 + "-production-secret-" + "z" * 20,
        EMAIL_URL="smtp+tls://user:pw@mail.example:587",
        DJANGO_ALLOWED_HOSTS="homeknots.example",
        **STRIPE_KEYS,
        CACHE_URL="redis://127.0.0.1:6379/1",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_per_process_cache():
    """Login throttling lives in the cache: each worker counting on its own would multiply
    the limit by the number of workers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.pop("CACHE_URL", None)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 30 + "-production-secret-" + "z" * 20,
        EMAIL_URL="smtp+tls://user:pw@mail.example:587",
        DJANGO_ALLOWED_HOSTS="homeknots.example",
        **STRIPE_KEYS,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "core.E001" in result.stderr + result.stdout
