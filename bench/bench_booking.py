"""Benchmark: booking_create time and how long it holds the therapist's calendar, before and
after the change that moved e-mail rendering out of the booking transaction, in one run.

"Before" is the tree at ``BENCH_BEFORE`` (default: the commit before ``booking/policy.py`` was
added), extracted with ``git archive`` under var/; "after" is this tree. The same probe
(bench/booking_probe.py) runs in each, with the same interpreter, on a fresh database: SQLite by
default, PostgreSQL when ``DATABASE_URL`` names one (a database per run is created and dropped).
Prints the medians and p90s of ``BENCH_BOOKINGS`` bookings (default 30) and the ratios.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "bench" / "booking_probe.py"


def git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True).stdout


def before_commit() -> str:
    chosen = os.environ.get("BENCH_BEFORE")
    if chosen:
        return chosen
    added = git("log", "--diff-filter=A", "--format=%H", "--", "booking/policy.py").split()
    if not added:
        raise SystemExit("cannot find the commit that added booking/policy.py; set BENCH_BEFORE")
    return git("rev-parse", f"{added[-1].decode()}^").decode().strip()


def extract(commit: str, into: Path) -> None:
    archive = git("archive", "--format=tar", commit)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "var").mkdir(exist_ok=True)


def database_for(label: str, tree: Path) -> tuple[str, str | None]:
    """(DATABASE_URL for the run, the PostgreSQL database to drop afterwards or None)."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        name = f"bench_booking_{label}"
        parts = urlsplit(base)
        admin = urlunsplit(parts._replace(path="/postgres"))
        psql(admin, f"DROP DATABASE IF EXISTS {name}")
        psql(admin, f"CREATE DATABASE {name}")
        return urlunsplit(parts._replace(path=f"/{name}")), name
    return f"sqlite:///{tree / 'var' / 'bench-booking.sqlite3'}", None


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True)


def probe(label: str, tree: Path) -> dict[str, float]:
    shutil.copy(PROBE, tree / "booking_probe.py")
    url, pg_name = database_for(label, tree)
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        out = subprocess.run(
            [sys.executable, "booking_probe.py"],
            cwd=tree,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        if pg_name:
            base = urlsplit(os.environ["DATABASE_URL"])
            psql(urlunsplit(base._replace(path="/postgres")), f"DROP DATABASE IF EXISTS {pg_name}")
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    commit = before_commit()
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        before_tree = Path(tmp) / "before"
        after_tree = Path(tmp) / "after"
        extract(commit, before_tree)
        extract("HEAD", after_tree)
        # The working tree, not HEAD, is "after": measure what is here.
        shutil.rmtree(after_tree)
        shutil.copytree(
            ROOT,
            after_tree,
            ignore=shutil.ignore_patterns(".git", ".venv", "var", "node_modules", "test-results"),
        )
        (after_tree / "var").mkdir(exist_ok=True)
        before = probe("before", before_tree)
        after = probe("after", after_tree)
    print(
        f"booking_create on {after['database']}, {int(after['bookings'])} bookings each "
        f"(before = {commit[:10]}, after = this tree)"
    )
    for key, label in (
        ("create_median_ms", "booking_create, median"),
        ("create_p90_ms", "booking_create, p90"),
        ("hold_median_ms", "calendar held (lock to commit), median"),
        ("hold_p90_ms", "calendar held (lock to commit), p90"),
    ):
        ratio = before[key] / after[key] if after[key] else float("inf")
        print(
            f"  {label:<42} before {before[key]:7.2f} ms   after {after[key]:7.2f} ms"
            f"   {ratio:5.2f}x"
        )


if __name__ == "__main__":
    main()
