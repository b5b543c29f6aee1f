"""The beat schedule lives in the database: what staff change in admin survives beat's start."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app

# Beat closes database connections as it starts: a real transaction. Other such tests flush
# the database, so each test writes the schedule again the way the migration does.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _migrated_schedule():
    from django.apps import apps

    for name in (
        "core.migrations.0002_beat_schedule",
        "payments.migrations.0002_reconcile_schedule",
    ):
        importlib.import_module(name).install(apps, None)


def test_every_periodic_task_is_scheduled_in_the_database():
    every = {t.name: (t.task, t.interval.schedule) for t in PeriodicTask.objects.all()}
    assert every["dispatch-outbox"] == ("core.tasks.dispatch_outbox", dt.timedelta(minutes=1))
    assert every["dispatch-due-reminders"][1] == dt.timedelta(minutes=1)
    assert every["nudge-for-notes"][1] == dt.timedelta(hours=1)
    assert every["reconcile-payments"] == (
        "payments.tasks.reconcile_payments",
        dt.timedelta(minutes=5),
    )


def test_an_admin_edit_survives_beat_starting_again():
    task = PeriodicTask.objects.get(name="expire-pending-bookings")
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    task.save()

    DatabaseScheduler(app=app)  # what beat does when it starts: reads, installs its defaults

    task.refresh_from_db()
    assert task.interval.schedule == dt.timedelta(minutes=10)
