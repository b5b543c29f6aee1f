"""The production processes the fault suite breaks, each started and owned by the suite.

A private ``redis-server`` on a free port (never the shared one on 6379), a fresh PostgreSQL
database, gunicorn with ``DJANGO_DEBUG=0`` and a secret key, a Celery worker and Celery beat,
and an SMTP server in this process that counts what is delivered. Tests drive the site over
HTTP like a browser behind the TLS proxy would (``X-Forwarded-Proto: https``) and read the
database with plain SQL: nothing here imports the app, so what is measured is what users get.
"""

from __future__ import annotations

import contextlib
import email
import email.header
import email.utils
import http.client
import json
import logging
import os
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import psycopg2
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MESSAGE_ID_DOMAIN = "faults.homeknots"
OUTBOX_MESSAGE_ID = re.compile(r"<email-(\d+)\.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Any, *, timeout: float, every: float = 0.2, what: str = "") -> float:
    """Poll ``predicate`` until it is true; return the seconds it took."""
    start = time.monotonic()
    while True:
        try:
            if predicate():
                return time.monotonic() - start
        except Exception:
            pass
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what or predicate}")
        time.sleep(every)


# --- Mail ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    to: str
    subject: str
    message_id: str
    at: float


class MailSink:
    """An SMTP server (aiosmtpd, in a thread of this process) that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[Delivered] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.on_data: Any = None  # called with each message before the server answers 250
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
        subject = " ".join(subject.split())  # unfolded
        now = time.monotonic()
        with self._lock:
            for to in envelope.rcpt_tos:
                self.messages.append(Delivered(to, subject, message["Message-ID"] or "", now))
        hook = self.on_data
        if hook is not None:
            hook(message)
        return "250 OK"

    def snapshot(self) -> list[Delivered]:
        with self._lock:
            return list(self.messages)

    def count_by_message_id(self) -> Counter[str]:
        return Counter(m.message_id for m in self.snapshot())

    def count_by_outbox_row(self) -> Counter[int]:
        """How many times each outbox row arrived, from its Message-ID (the dispatcher gives
        every attempt of row ``pk`` the same ``<email-pk.…>``)."""
        counts: Counter[int] = Counter()
        for m in self.snapshot():
            found = OUTBOX_MESSAGE_ID.match(m.message_id)
            if found:
                counts[int(found.group(1))] += 1
        return counts


# --- Redis -----------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of our own, which the tests may kill, freeze and restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.frozen = False

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 (the process owns it)
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ping, timeout=20, what="the private redis to answer")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def kill(self) -> None:
        assert self.proc is not None
        if self.frozen:
            self.thaw()
        self.proc.kill()
        self.proc.wait(10)

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)
        self.frozen = False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


# --- PostgreSQL ------------------------------------------------------------------------------


class Database:
    """A fresh database of our own on the PostgreSQL server, dropped at the end."""

    def __init__(self, server_url: str) -> None:
        parts = urllib.parse.urlsplit(server_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 5432
        self.user = urllib.parse.unquote(parts.username or "postgres")
        self.password = urllib.parse.unquote(parts.password or "")
        self.name = "hk_faults_" + secrets.token_hex(4)

    @property
    def url(self) -> str:
        auth = self.user + (f":{urllib.parse.quote(self.password)}" if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{self.name}"

    def connect(self, dbname: str | None = None) -> Any:
        conn = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname or self.name,
            connect_timeout=5,
            application_name="hk-faults-observer",
        )
        conn.autocommit = True
        return conn

    def reachable(self) -> bool:
        try:
            self.connect("postgres").close()
            return True
        except psycopg2.Error:
            return False

    def create(self) -> None:
        with contextlib.closing(self.connect("postgres")) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with contextlib.closing(self.connect("postgres")) as conn, conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def terminate_app_connections(self) -> int:
        """pg_terminate_backend on every connection to our database but the observer's."""
        rows = self.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND application_name <> 'hk-faults-observer'",
            (self.name,),
        )
        return sum(1 for (done,) in rows if done)


# --- HTTP ------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


CSRF_CHARS = string.ascii_letters + string.digits


class Browser:
    """One visitor: keeps its cookies, sends what a browser behind the TLS proxy sends.

    Production sets secure cookies and redirects plain HTTP; the proxy in front says
    ``X-Forwarded-Proto: https``, and so do we."""

    def __init__(self, port: int, session: str | None = None, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        csrf = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
        self.cookies: dict[str, str] = {"csrftoken": csrf}
        if session:
            self.cookies["sessionid"] = session

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, data: Mapping[str, Any] | None = None) -> Response:
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "User-Agent": "hk-faults",
        }
        body = None
        if data is not None:
            body = urllib.parse.urlencode(
                {**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
            )
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = self.origin + path
            headers["Origin"] = self.origin
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for value in raw.headers.get_all("Set-Cookie") or []:
                parsed: SimpleCookie = SimpleCookie()
                parsed.load(value)
                for name, morsel in parsed.items():
                    self.cookies[name] = morsel.value
            return Response(
                raw.status,
                {k.lower(): v for k, v in raw.getheaders()},
                text,
                time.monotonic() - start,
            )
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: Mapping[str, Any]) -> Response:
        return self.request("POST", path, data)


def http_get(port: int, path: str, timeout: float = 10) -> Response:
    return Browser(port, timeout=timeout).get(path)


# --- The stack -------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None


@dataclass
class Stack:
    workdir: Path
    db: Database
    redis: PrivateRedis
    mail: MailSink
    web_port: int = field(default_factory=free_port)
    processes: dict[str, Process] = field(default_factory=dict)
    world: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    # Settings of the processes: production (debug off, secret key, PostgreSQL, Redis, SMTP).
    # Two things differ from the README's production example, and why:
    # - payments are off (PAYMENTS_ENABLED=0, "pay at the visit"): no Stripe to reach here;
    # - the dispatcher's claim lease is 10 s instead of 60, so what a killed worker held is
    #   sent again within the suite's time (docs/reliability.md).
    def env(self) -> dict[str, str]:
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "CELERY_", "PYTEST", "STRIPE_", "PAYMENTS_"))
            and k not in {"DATABASE_URL", "EMAIL_URL", "CACHE_URL", "SITE_URL"}
        }
        return {
            **keep,
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "faults-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.db.url,
            "CELERY_BROKER_URL": self.redis.url(0),
            "CACHE_URL": self.redis.url(1),
            "EMAIL_URL": f"smtp://127.0.0.1:{self.mail.port}",
            "EMAIL_MESSAGE_ID_DOMAIN": MESSAGE_ID_DOMAIN,
            "SITE_URL": f"https://127.0.0.1:{self.web_port}",
            "PAYMENTS_ENABLED": "0",
            "DELIVERY_CLAIM_LEASE_SECONDS": "10",
            "DJANGO_LOG_LEVEL": "INFO",
        }

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
        return done.stdout

    def seed(self, *args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.seed", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"seed {' '.join(args)} failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    # processes

    def add(self, name: str, argv: list[str]) -> None:
        self.processes[name] = Process(name, argv, self.workdir / f"{name}.log")

    def start(self, name: str) -> None:
        process = self.processes[name]
        log = open(process.log, "ab")  # noqa: SIM115 (the process owns it)
        process.proc = subprocess.Popen(
            process.argv,
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we can kill it with its children
        )

    def pid(self, name: str) -> int:
        proc = self.processes[name].proc
        assert proc is not None and proc.poll() is None, f"{name} is not running"
        return proc.pid

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.processes[name].proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def log_text(self, name: str) -> str:
        return self.processes[name].log.read_text(errors="replace")

    def children(self, name: str) -> list[int]:
        """The pool processes of the worker (its master's children)."""
        pid = self.pid(name)
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def wait_worker_ready(self, since: int = 0, timeout: float = 90) -> None:
        log = self.processes["worker"].log
        wait_for(
            lambda: b" ready." in log.read_bytes()[since:],
            timeout=timeout,
            what="the Celery worker to be ready",
        )

    def restart_worker(self) -> None:
        self.kill("worker")
        size = self.processes["worker"].log.stat().st_size
        self.start("worker")
        self.wait_worker_ready(since=size)

    def web_ok(self) -> bool:
        return http_get(self.web_port, "/healthz", timeout=5).status == 200

    # e-mail bookkeeping

    def last_email_id(self) -> int:
        return int(self.db.query("SELECT coalesce(max(id), 0) FROM core_email")[0][0])

    def emails_after(self, first_id: int) -> list[tuple[int, str, str]]:
        """(id, to, status) of the outbox rows after ``first_id``."""
        rows = self.db.query(
            'SELECT id, "to", status FROM core_email WHERE id > %s ORDER BY id', (first_id,)
        )
        return [(pk, to, status) for pk, to, status in rows]

    def wait_delivered(self, first_id: int, *, expected: int, timeout: float) -> float:
        """Wait until every outbox row after ``first_id`` (at least ``expected``) is sent and
        its message has arrived; the seconds it took."""

        def done() -> bool:
            rows = self.emails_after(first_id)
            arrived = self.mail.count_by_outbox_row()
            return len(rows) >= expected and all(
                status == "sent" and arrived[pk] >= 1 for pk, _, status in rows
            )

        return wait_for(done, timeout=timeout, every=0.5, what="every e-mail to be delivered")


@contextlib.contextmanager
def running_stack(workdir: Path, server_url: str) -> Iterator[Stack]:
    db = Database(server_url)
    redis = PrivateRedis(workdir)
    mail = MailSink()
    stack = Stack(workdir=workdir, db=db, redis=redis, mail=mail)
    py = sys.executable
    stack.add(
        "web",
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{stack.web_port}",
            "--workers",
            "2",
        ],
    )
    stack.add(
        "worker",
        [
            py,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "faults@%h",
        ],
    )
    stack.add(
        "beat",
        [
            py,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--pidfile",
            "",
        ],
    )
    began = time.monotonic()
    setup: dict[str, float] = {}

    def lap(what: str) -> None:
        setup[what] = round(time.monotonic() - began - sum(setup.values()), 1)

    db.create()
    try:
        mail.start()
        redis.start()
        stack.manage("migrate", "--noinput")
        lap("migrate")
        stack.manage("collectstatic", "--noinput")
        lap("collectstatic")
        stack.world = stack.seed("world")
        lap("seed")
        for name in ("web", "worker", "beat"):
            stack.start(name)
        wait_for(stack.web_ok, timeout=90, every=0.5, what="gunicorn to answer /healthz")
        stack.wait_worker_ready()
        lap("processes")
        stack.figures["setup_seconds"] = setup
        yield stack
    finally:
        for name in ("beat", "worker", "web"):
            stack.kill(name, signal.SIGTERM)
        redis.stop()
        mail.stop()
        with contextlib.suppress(psycopg2.Error):
            db.drop()
