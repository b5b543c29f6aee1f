"""A Celery worker's pool processes start quickly, replacements included."""

from __future__ import annotations

import pytest
from celery.signals import worker_init, worker_process_init

from core import geo


# Celery's Django fixup also listens to worker_init and warns when no worker is the sender.
@pytest.mark.filterwarnings("ignore:DjangoFixup.on_worker_init called without a sender")
def test_the_zip_table_is_indexed_in_the_worker_main_process_before_it_forks(monkeypatch):
    monkeypatch.setattr(geo, "_PLACES", None)
    worker_init.send(sender=None)
    # Pool processes are forked from this one and inherit the table …
    assert geo._PLACES is not None and len(geo._PLACES) > 40_000


def test_a_new_pool_process_does_no_slow_work_before_it_reports_up(monkeypatch):
    # … so a replacement for a killed one has nothing to index: it is up at once, not killed by
    # the master for missing worker_proc_alive_timeout (4 s) on a loaded machine.
    monkeypatch.setattr(geo, "_PLACES", None)
    worker_process_init.send(sender=None)
    assert geo._PLACES is None
