"""The Celery app. Settings come from Django's, under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_process_init

from core.geo import preload

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("homeknots")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _preload(**kwargs: object) -> None:
    # The ZIP table is indexed as each worker process starts, not in its first task.
    preload()
