"""HTTP benchmark: each page's throughput as a ratio to a trivial view served by the same server.

What it does, in one run:
1. builds a throwaway database (SQLite under var/ by default; PostgreSQL when DATABASE_URL names
   one: a database ``bench_http`` is created next to it and dropped afterwards) with the demo
   data grown to 50 therapists and ~860 bookings;
2. starts gunicorn (2 sync workers, DJANGO_DEBUG=0, the production settings) with one extra
   URL, ``/bench/ok``, a view that returns ``HttpResponse("ok")``;
3. for each endpoint runs the load generator (``wrk``, 16 connections) against the trivial view,
   then the endpoint, then the trivial view again, and prints req/s, p50 and p99 and the ratio
   of the endpoint's req/s to the mean of the two trivial runs around it.

Ratios, not raw req/s, are the figures to compare between machines and runs: both sides share
the machine, the server and the load generator. Needs ``wrk`` on PATH (``apt install wrk`` or
``brew install wrk``); without it the benchmark says so and skips.

Options (environment): BENCH_SECONDS (default 8) per run, BENCH_CONNECTIONS (16),
BENCH_ONLY (comma-separated endpoint names), CACHE_URL (the cache the server uses; per
process memory by default, e.g. redis://127.0.0.1:6379/5 to measure production's setup).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THERAPISTS = 50
BOOKINGS = 860

WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"non2xx": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True)


def database() -> tuple[str, str | None]:
    """(DATABASE_URL for the run, the admin URL to drop it with afterwards, or None)."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        parts = urlsplit(base)
        admin = urlunsplit(parts._replace(path="/postgres"))
        psql(admin, "DROP DATABASE IF EXISTS bench_http")
        psql(admin, "CREATE DATABASE bench_http")
        return urlunsplit(parts._replace(path="/bench_http")), admin
    path = ROOT / "var" / "bench-http.sqlite3"
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}", None


def server_env(database_url: str, var: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "EMAIL_URL": "consolemail://",
        "CELERY_BROKER_URL": f"filesystem://{var}/broker",
        "DJANGO_MEDIA_ROOT": str(var / "media"),
        "PYTHONPATH": str(ROOT),
        # Payments on, as in production (the pages show each therapist's terms); no page
        # measured here talks to Stripe.
        "PAYMENTS_ENABLED": "1",
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
    }
    env.setdefault("CACHE_URL", "locmemcache://")
    return env


def build(env: dict[str, str]) -> dict[str, str]:
    """Migrate, seed and grow the data in a child process; returns the URLs to measure."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "http_data.py"), str(THERAPISTS), str(BOOKINGS)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_server(env: dict[str, str], port: int, conf: Path, log: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "-c",
            str(conf),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/ok", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def wrk(url: str, script: Path, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", str(script)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    seconds = report["duration_us"] / 1e6
    return {
        "rps": report["requests"] / seconds,
        "p50": report["p50_us"] / 1000,
        "p99": report["p99_us"] / 1000,
        "bad": report["non2xx"] + report["errors"],
    }


def check(url: str, headers: dict[str, str], log: Path) -> None:
    """Every endpoint answers 200 before it is measured: a fast 500 is not a result."""
    request = urllib.request.Request(url, headers=headers)
    try:
        urllib.request.urlopen(request, timeout=30).read()
    except urllib.error.HTTPError as error:
        sys.stderr.write(log.read_text()[-4000:])
        raise SystemExit(f"{url} answered {error.code}") from error


def main() -> None:
    if shutil.which("wrk") is None:
        print("bench_http: skipped, `wrk` is not installed (apt install wrk / brew install wrk)")
        return
    database_url, admin_url = database()
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        var = Path(tmp)
        (var / "broker").mkdir()
        env = server_env(database_url, var)
        targets = build(env)
        conf = var / "gunicorn.conf.py"
        # The project's gunicorn settings (and hooks), without the access log.
        conf.write_text(
            f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\n"
            "accesslog = None\nerrorlog = '-'\nloglevel = 'warning'\n"
        )
        script = var / "report.lua"
        script.write_text(WRK_REPORT)
        port = free_port()
        log = var / "gunicorn.log"
        server = start_server(env, port, conf, log)
        base = f"http://127.0.0.1:{port}"
        only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
        try:
            engine = "PostgreSQL" if admin_url else "SQLite"
            print(
                f"bench_http: gunicorn 2 sync workers, DJANGO_DEBUG=0, {engine}, "
                f"cache {env['CACHE_URL'].split(':')[0]}, "
                f"{THERAPISTS} therapists, {targets.pop('bookings')} bookings, "
                f"wrk {CONNECTIONS} connections x {SECONDS}s, {os.cpu_count()} CPUs"
            )
            print(f"{'endpoint':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x trivial':>11}")
            cookie = {"Cookie": f"sessionid={targets.pop('therapist_session')}"}
            before = wrk(f"{base}/bench/ok", script, {})
            for name, path in targets.items():
                if only and name not in only:
                    continue
                headers = cookie if name == "calendar events" else {}
                check(base + path, headers, log)
                result = wrk(base + path, script, headers)
                after = wrk(f"{base}/bench/ok", script, {})
                trivial = (before["rps"] + after["rps"]) / 2
                bad = f"  ({int(result['bad'])} not 2xx!)" if result["bad"] else ""
                print(
                    f"{name:<28}{result['rps']:>9.0f}{result['p50']:>9.1f}{result['p99']:>9.1f}"
                    f"{result['rps'] / trivial:>11.3f}{bad}"
                )
                before = after
            print(f"{'trivial view (last run)':<28}{before['rps']:>9.0f}{before['p50']:>9.1f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
            if admin_url:
                psql(admin_url, "DROP DATABASE IF EXISTS bench_http")


if __name__ == "__main__":
    main()
