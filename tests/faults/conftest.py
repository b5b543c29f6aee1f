"""The fault suite (``pytest -m faults``; stage 3 of .ci/run, ``make faults``).

One stack of production processes for the whole session (tests/faults/stack.py): the tests
break a piece of it, check what users got, and leave it whole again for the next test. The
figures each test measures are printed at the end of the run and written to
``var/faults-report.json``; docs/reliability.md quotes them.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.stack import ROOT, Database, Stack, running_stack, wait_for

FIGURES: dict[str, Any] = {}
REPORT = ROOT / "var" / "faults-report.json"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.faults)


def _server_url() -> str:
    url = os.environ.get("HOMEKNOTS_FAULTS_POSTGRES") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def _missing() -> str | None:
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if not Database(_server_url()).reachable():
        return f"PostgreSQL is not reachable at {_server_url()}"
    return None


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    missing = _missing()
    if missing:
        if os.environ.get("HOMEKNOTS_REQUIRE_FAULTS"):
            pytest.fail(f"the fault suite needs its services: {missing}")
        pytest.skip(f"{missing} (CI's fault stage has both)")
    workdir = tmp_path_factory.mktemp("faults")
    with running_stack(workdir, _server_url()) as running:
        FIGURES.update(running.figures)
        running.figures = FIGURES
        try:
            yield running
        finally:
            # The processes' logs, for a failure's post-mortem in CI.
            keep = ROOT / "var" / "faults-logs"
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(workdir, keep, ignore=shutil.ignore_patterns("*.rdb"))


@pytest.fixture
def healthy(stack: Stack) -> Stack:
    """The stack as a test finds it: every process up, the site answering."""
    if stack.redis.frozen:
        stack.redis.thaw()
    if stack.redis.proc is None or stack.redis.proc.poll() is not None:
        stack.redis.start()
    for name in ("web", "worker", "beat"):
        proc = stack.processes[name].proc
        if proc is None or proc.poll() is not None:
            if name == "worker":
                stack.restart_worker()
            else:
                stack.start(name)
    wait_for(stack.web_ok, timeout=60, every=0.5, what="the site to be healthy")
    return stack


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
    terminalreporter.section("fault suite figures")
    for name, figures in FIGURES.items():
        terminalreporter.write_line(f"{name}: {json.dumps(figures, sort_keys=True)}")
    terminalreporter.write_line(f"(written to {Path(REPORT).relative_to(ROOT)})")
