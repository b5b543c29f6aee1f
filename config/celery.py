"""The Celery app. Settings come from Django's, under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_init

from core.geo import preload

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("homeknots")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _preload(**kwargs: object) -> None:
    # The ZIP table is indexed once, in the worker's main process before it forks its pool:
    # every pool process, and every replacement for one that died, starts with it. Indexed in
    # each new pool process instead (worker_process_init), it took 3 s on a loaded machine,
    # and the master kills a new process that is not up within 4 s (worker_proc_alive_timeout):
    # after a pool process was killed, its replacements were killed in turn, and the worker
    # sent nothing until it was restarted (the fault suite, docs/reliability.md).
    preload()
