"""Fuzzing: every URL pattern, as every kind of visitor, with hostile input; no 5xx.

The URL patterns come from the resolver, so a new view is fuzzed without touching this file.
Field names come from two places, also found automatically: the ``name="…"`` of every form
control on the pages themselves (one GET of each page as each role first), and every
``GET.get("…")``/``POST.get("…")`` in the apps' source. Values are hostile: huge, negative
and non-numeric numbers, dates and times in year 1 or 9999 or with far UTC offsets, naive
times, NUL characters, very long and non-ASCII strings, lists where one value is expected,
missing fields, JSON bodies, and uploads (an EPS file as a photo among them).

Every request runs inside a savepoint that is rolled back afterwards, so each one sees the
same world, and a database error on PostgreSQL cannot poison the next request. Failures are
collected, not raised, so one run reports all of them.

    pytest -m fuzz tests/test_fuzz.py                        # SQLite, as in `make test`
    DATABASE_URL=postgres://…/hk_fuzz pytest -m fuzz tests/test_fuzz.py
    FUZZ_EXAMPLES=20000 FUZZ_RANDOM=1 pytest -m fuzz …        # longer, a new seed each run
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import re
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image

from aftercare import tokens as aftercare_tokens
from booking import links as booking_links
from booking.models import Booking
from payments import links as payment_links
from tests import factories
from tests.payments.localstripe import start_localstripe
from therapists.models import DateOverride, Modality, TimeOff

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "therapists", "clients", "booking", "aftercare", "payments", "portal", "config")
MIN_REQUESTS = 5000
# Generated requests on top of the discovery pass and the seeded cases.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3000"))
RANDOM = bool(os.environ.get("FUZZ_RANDOM"))
ROLES = ("anonymous", "client", "therapist", "staff")

# URL names not worth fuzzing: no input of ours behind them.
SKIP_NAMES = {"admin:jsi18n", "admin:view_on_site"}
SKIP_PREFIXES = ("static/", "media/", "admin/doc/", "__debug__/")


# --- Hostile values ---------------------------------------------------------------------------

HUGE = "99999999999999999999"  # 20 digits: past a signed 64-bit integer
HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "8",
    "9",
    "40000",
    HUGE,
    "-" + HUGE,
    str(2**31),
    str(2**63),
    "1e309",
    "NaN",
    "-inf",
    "1.5",
    "abc",
    "１２",
    "1_0",
    " 7 ",
    "\x00",
    "1\x00",
    "a\x00b",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:30:00-23:59",
    "9999-12-31 23:59",
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01 00:00",
    "2026-02-30",
    "2026-13-01T10:00:00+00:00",
    "2030-01-07T10:00:00",
    "2030-01-07T10:00:00+14:00",
    "2030-01-07T10:00:00-12:00",
    "2030-01-07T10:00:00 00:00",
    "25:61",
    "23:59:60",
    "x" * 5000,
    "😀" * 300,
    "ß\u202eǅ\u0301\ufeff",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "true",
    "on",
    "skip",
    "confirm",
    "cancel_all",
    "null",
    "[]",
    "{}",
]


def _moment_text(moment: dt.datetime, offset_minutes: int, naive: bool) -> str:
    if naive:
        return moment.replace(tzinfo=None).isoformat()
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{moment.replace(tzinfo=None).isoformat()}{sign}{hours:02d}:{minutes:02d}"


moments = st.builds(
    _moment_text,
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
    st.booleans(),
)
scalars = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    # NULs are in HOSTILE; in every generated text they would stop most requests at the door.
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40),
    moments,
    st.dates().map(str),
)


def _eps() -> bytes:
    return (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
        b"newpath 0 0 moveto 10 10 lineto stroke\nshowpage\n%%EOF\n"
    )


def _png(size: tuple[int, int] = (4, 4)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


UPLOADS = [
    ("photo.eps", _eps(), "application/postscript"),
    ("photo.jpg", _eps(), "image/jpeg"),  # an EPS file that says it is a JPEG
    ("photo.png", _png(), "image/png"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
    ("photo.gif", b"GIF89a" + b"\x00" * 32, "image/gif"),
    ("\x00.png", b"", "image/png"),
]


def _upload(index: int) -> SimpleUploadedFile:
    name, content, kind = UPLOADS[index]
    return SimpleUploadedFile(name, content, content_type=kind)


# --- The world the requests see ---------------------------------------------------------------


@dataclass
class World:
    clients: dict[str, Client]
    cookies: dict[str, SimpleCookie]
    # Valid values for path parameters, by parameter name, and for fields, by field name.
    path_values: dict[str, list[str]]
    field_values: dict[str, list[str]]
    booking_pk: int
    past_pk: int
    therapist_pk: int
    service_pk: int
    slot: str


@dataclass
class Route:
    name: str
    params: tuple[str, ...]
    urls: list[str] = field(default_factory=list)


@pytest.fixture
def own_stripe(stripe_on: Any, settings: Any, tmp_path: Path) -> Iterator[None]:
    """Payments on, against a localstripe of the fuzzer's own: the payment pages and the
    checkout are fuzzed too, and a 503 means a fault, not a Stripe that is not there (an
    earlier test may have stopped the shared one; "unreachable" is the right answer then)."""
    server = start_localstripe(tmp_path)
    settings.STRIPE_API_BASE = server.url
    try:
        yield
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


@pytest.fixture
def world(db: Any, own_stripe: None) -> World:
    therapist = factories.TherapistProfileFactory()
    service = factories.ServiceFactory(therapist=therapist)
    for weekday in range(7):
        factories.WeeklyHoursFactory(
            therapist=therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )
    client = factories.BookableClientFactory()
    staff = factories.StaffFactory()
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    booking = factories.BookingFactory(
        client=client, service=service, starts_at=now + dt.timedelta(days=3, hours=1)
    )
    past = factories.BookingFactory(
        client=client,
        service=service,
        starts_at=now - dt.timedelta(days=3),
        status=Booking.Status.COMPLETED,
    )
    time_off = TimeOff.objects.create(
        therapist=therapist,
        starts_at=now + dt.timedelta(days=20),
        ends_at=now + dt.timedelta(days=21),
    )
    override = DateOverride.objects.create(
        therapist=therapist,
        date=(now + dt.timedelta(days=30)).date(),
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    slot = (now + dt.timedelta(days=5)).replace(hour=15).isoformat()
    ids = [booking.pk, past.pk, service.pk, therapist.pk, time_off.pk, override.pk]
    ids += [client.pk, client.user.pk, staff.pk]
    hostile_ids = ["0", "1", HUGE, str(2**63), str(2**31)]
    path_values = {
        "pk": [str(i) for i in ids] + hostile_ids,
        "object_id": [str(i) for i in ids] + ["abc", HUGE, "\x00", "-1"],
        "slug": [therapist.slug, "nobody", "a" * 300],
        "token": [
            booking_links.manage_token(booking_id=booking.pk, action="cancel"),
            booking_links.manage_token(booking_id=booking.pk, action="reschedule"),
            aftercare_tokens.feedback_token(booking_id=past.pk, client_id=client.pk),
            aftercare_tokens.unsubscribe_token(client_id=client.pk, kind="reminders"),
            payment_links.visit_token(booking_id=past.pk),
            payment_links.visit_token(booking_id=booking.pk),
            therapist.calendar_token,
            "x",
            "\x00",
            "a" * 2000,
            "😀",
        ],
    }
    modality_ids = [str(m.pk) for m in Modality.objects.all()]
    field_values = {
        "therapist": [str(therapist.pk)],
        "service": [str(service.pk)],
        "booking": [str(booking.pk), str(past.pk)],
        "starts_at": [slot],
        "first": [slot],
        "visit_0": [slot],
        "visit_1": [(now + dt.timedelta(days=12)).replace(hour=15).isoformat()],
        "modality": [*Modality.objects.values_list("slug", flat=True), *modality_ids],
        "modalities": modality_ids,
        "duration": ["60"],
        "postcode": ["10001"],
        "step": ["confirm", "preview"],
        "action": ["confirm", "cancel", "complete", "no_show", "cancel_all", "decline"],
    }
    clients: dict[str, Client] = {}
    cookies: dict[str, SimpleCookie] = {}
    for role, user in (
        ("anonymous", None),
        ("client", client.user),
        ("therapist", therapist.user),
        ("staff", staff),
    ):
        # A 500 is a response to record, not an exception to stop at.
        http = Client(raise_request_exception=False)
        if user is not None:
            http.force_login(user)
        clients[role] = http
        cookies[role] = SimpleCookie(http.cookies.output(header="", sep="\n"))
    return World(
        clients=clients,
        cookies=cookies,
        path_values=path_values,
        field_values=field_values,
        booking_pk=booking.pk,
        past_pk=past.pk,
        therapist_pk=therapist.pk,
        service_pk=service.pk,
        slot=slot,
    )


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = "", params: tuple[str, ...] = ()
) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        found = tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, text, inner, params + found)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield text.lstrip("^"), f"{namespace}{pattern.name}", params + found


def routes(world: World) -> list[Route]:
    """Every named URL pattern, with the concrete URLs the path values make of it."""
    found: dict[str, Route] = {}
    for text, name, params in _walk(get_resolver().url_patterns):
        if name in SKIP_NAMES or text.startswith(SKIP_PREFIXES):
            continue
        route = found.setdefault(name, Route(name, params))
        if route.urls:
            continue
        route.urls = _urls_for(name, params, world)
    # A pattern with values that fit none of its parameters is left out, and said so.
    empty = [r.name for r in found.values() if not r.urls]
    assert not empty, f"no URL could be built for {empty}"
    return list(found.values())


def _urls_for(name: str, params: tuple[str, ...], world: World) -> list[str]:
    if not params:
        return [reverse(name)]
    urls: list[str] = []
    pools = [world.path_values.get(p, ["1", "abc"]) for p in params]
    if "app_label" in params:
        return _admin_app_urls(name)
    # Each value of each parameter at least once, the others at their first (valid) value.
    combos = [[pool[0] for pool in pools]]
    for i, pool in enumerate(pools):
        for value in pool[1:]:
            combo = [p[0] for p in pools]
            combo[i] = value
            combos.append(combo)
    if params == ("pk", "token"):
        # Signed links: every token with every booking id.
        combos += [[pk, token] for pk in pools[0][:2] for token in world.path_values["token"]]
    for combo in combos:
        try:
            urls.append(reverse(name, kwargs=dict(zip(params, combo, strict=True))))
        except NoReverseMatch:
            continue
    return sorted(set(urls))


def _admin_app_urls(name: str) -> list[str]:
    urls = []
    for label in sorted({model._meta.app_label for model in admin.site._registry}):
        try:
            urls.append(reverse(name, kwargs={"app_label": label}))
        except NoReverseMatch:
            continue
    return urls


def source_field_names() -> set[str]:
    """Every ``GET.get("x")``, ``POST.get("x")``, ``params.get("x")`` and ``source.get("x")``
    in the apps: the query and form names views read without a form."""
    pattern = re.compile(
        r"""(?:GET|POST|params|source|data)(?:\.get|\.getlist)?\(\s*["']([\w-]+)"""
    )
    names: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            names.update(pattern.findall(path.read_text()))
    return names


# --- Sending and recording --------------------------------------------------------------------


@dataclass
class Record:
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    by_role: dict[str, dict[int, int]] = field(default_factory=dict)


def send(
    world: World,
    record: Record,
    role: str,
    method: str,
    url: str,
    data: Any = None,
    *,
    query: list[tuple[str, str]] | None = None,
    json_body: str | None = None,
    htmx: bool = False,
) -> Any:
    http = world.clients[role]
    if query:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
    headers = {"HX-Request": "true"} if htmx else {}
    savepoint = transaction.savepoint()
    try:
        if method == "GET":
            response = http.get(url, headers=headers)
        elif json_body is not None:
            response = http.post(
                url, data=json_body, content_type="application/json", headers=headers
            )
        else:
            response = http.post(url, data=data or {}, headers=headers)
    finally:
        transaction.savepoint_rollback(savepoint)
        # ROLLBACK TO keeps the savepoint open: release it too, or every request nests one
        # level deeper and PostgreSQL keeps a lock per level until it runs out of lock slots.
        transaction.savepoint_commit(savepoint)
        # A logout or a new login changes the session cookie; each request starts as its role.
        http.cookies = SimpleCookie(world.cookies[role].output(header="", sep="\n"))
    record.sent += 1
    record.statuses[response.status_code] = record.statuses.get(response.status_code, 0) + 1
    mine = record.by_role.setdefault(role, {})
    mine[response.status_code] = mine.get(response.status_code, 0) + 1
    if response.status_code >= 500:
        cause = f"answered {response.content[:160]!r}"
        if getattr(response, "exc_info", None):
            exc = response.exc_info[1]
            frames = traceback.extract_tb(response.exc_info[2])
            ours = [f for f in frames if "/.venv/" not in f.filename] or frames
            where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}"
            cause = f"{type(exc).__name__}: {str(exc)[:160]} at {where}"
        shown = data if data is None or isinstance(data, dict) else "…"
        if isinstance(shown, dict):
            shown = {k: (v if isinstance(v, list | str) else "<upload>") for k, v in shown.items()}
        record.failures.append(
            f"{response.status_code} {role} {method} {url[:300]!r} "
            f"data={str(shown)[:300]} json={str(json_body)[:80]} -> {cause}"
        )
    return response


FORM_NAME = re.compile(rb'name="([^"]{1,80})"')


def discover(world: World, record: Record, all_routes: list[Route]) -> dict[str, set[str]]:
    """GET every URL of every route as every role (the admin's only as staff and as a
    visitor: everyone else is sent to log in); the form fields each page shows."""
    names: dict[str, set[str]] = {}
    for route in all_routes:
        fields: set[str] = set()
        roles = ("anonymous", "staff") if route.name.startswith("admin:") else ROLES
        for url in route.urls:
            for role in roles:
                response = send(world, record, role, "GET", url)
                if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                    fields.update(n.decode() for n in FORM_NAME.findall(response.content))
        fields.discard("csrfmiddlewaretoken")
        names[route.name] = fields
    return names


# --- Seeded cases: the causes of the 500s found before, sent on every run ------------------------


def seeded(world: World, record: Record) -> None:
    b, p, t, s = world.booking_pk, world.past_pk, world.therapist_pk, world.service_pk
    far = ["9999-12-31T23:59:59+00:00", "9999-12-31T23:30:00-23:59", "0001-01-01T00:00:00+23:59"]
    far += ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59"]
    reschedule_link = reverse(
        "booking:link_reschedule",
        kwargs={
            "pk": b,
            "token": booking_links.manage_token(booking_id=b, action="reschedule"),
        },
    )
    series = reverse("aftercare:series_new")
    for when in far:
        send(
            world,
            record,
            "client",
            "GET",
            reverse("booking:review"),
            query=[("therapist", str(t)), ("service", str(s)), ("starts_at", when)],
        )
        send(
            world,
            record,
            "client",
            "POST",
            reverse("booking:review"),
            {"therapist": str(t), "service": str(s), "starts_at": when},
        )
        send(
            world,
            record,
            "client",
            "GET",
            reverse("booking:reschedule", kwargs={"pk": b}),
            query=[("starts_at", when), ("start", when[:10]), ("day", when[:10])],
        )
        send(
            world,
            record,
            "client",
            "POST",
            reverse("booking:reschedule", kwargs={"pk": b}),
            {"starts_at": when},
        )
        send(
            world,
            record,
            "anonymous",
            "GET",
            reschedule_link,
            query=[("starts_at", when), ("start", when[:10])],
        )
        send(world, record, "anonymous", "POST", reschedule_link, {"starts_at": when})
        send(
            world,
            record,
            "client",
            "GET",
            series,
            query=[("therapist", str(t)), ("service", str(s)), ("starts_at", when)],
        )
        send(
            world,
            record,
            "client",
            "POST",
            series,
            {
                "therapist": str(t),
                "service": str(s),
                "first": when,
                "interval_weeks": "2",
                "visit_count": "4",
            },
        )
        send(
            world,
            record,
            "client",
            "GET",
            reverse("booking:start"),
            query=[
                ("therapist", str(t)),
                ("service", str(s)),
                ("start", when[:10]),
                ("day", when[:10]),
            ],
        )
    send(
        world,
        record,
        "anonymous",
        "GET",
        reverse("booking:api_slots", kwargs={"pk": t}),
        query=[("service", str(s)), ("start", "9999-12-31")],
    )
    send(
        world,
        record,
        "anonymous",
        "GET",
        reverse("booking:api_slots", kwargs={"pk": t}),
        query=[("service", HUGE), ("start", "0001-01-01"), ("days", HUGE)],
    )
    send(
        world,
        record,
        "anonymous",
        "GET",
        reverse("booking:api_slots", kwargs={"pk": HUGE}),
        query=[("service", str(s))],
    )
    # The series pages with ids that are not numbers, and the confirm step's times and interval.
    for bad in ("abc", HUGE, "-1", "1.5", "\x00"):
        send(world, record, "client", "GET", series, query=[("therapist", bad), ("service", bad)])
        send(world, record, "client", "POST", series, {"therapist": bad, "service": str(s)})
        send(
            world,
            record,
            "client",
            "POST",
            reverse("aftercare:series_detail", kwargs={"pk": b}),
            {"booking": bad},
        )
    later = (dt.datetime.fromisoformat(world.slot) + dt.timedelta(weeks=2)).isoformat()
    naive = world.slot[:19]
    for interval in ("-1", "0", "9", "40000", HUGE, "2"):
        for visits in (
            (world.slot, later),
            (naive, later),
            (naive, naive[:11] + "16:00:00"),
            (far[0], far[1]),
            (world.slot, far[2]),
        ):
            send(
                world,
                record,
                "client",
                "POST",
                series,
                {
                    "therapist": str(t),
                    "service": str(s),
                    "step": "confirm",
                    "count": "2",
                    "interval_weeks": interval,
                    "visit_0": visits[0],
                    "visit_1": visits[1],
                },
            )
    # Year 9999 and year 1 in the therapist's time off, extra hours, calendar and feed.
    for day in ("9999-12-31", "0001-01-01", "9999-12-30"):
        send(
            world,
            record,
            "therapist",
            "POST",
            reverse("therapists:time_off_add"),
            {"off-first_day": day, "off-last_day": day},
        )
        send(
            world,
            record,
            "therapist",
            "POST",
            reverse("therapists:time_off_add"),
            {"off-first_day": "2030-01-01", "off-last_day": day},
        )
        send(
            world,
            record,
            "therapist",
            "POST",
            reverse("therapists:override_add"),
            {"extra-date": day, "extra-start_time": "09:00", "extra-end_time": "12:00"},
        )
        for end in (f"{day}T23:00:00", f"{day}T23:59:59+00:00"):
            send(
                world,
                record,
                "therapist",
                "POST",
                reverse("therapists:calendar_block"),
                {"start": f"{day}T10:00:00", "end": end},
            )
            send(
                world,
                record,
                "therapist",
                "POST",
                reverse("therapists:calendar_block"),
                {"start": f"{day}T10:00:00-23:59", "end": end},
            )
        send(
            world,
            record,
            "therapist",
            "GET",
            reverse("therapists:calendar_events"),
            query=[("start", day), ("end", "9999-12-31T23:59:59")],
        )
        send(
            world,
            record,
            "therapist",
            "GET",
            reverse("therapists:calendar_events"),
            query=[("start", f"{day}T00:00:00-23:59"), ("end", f"{day}T23:00:00+23:59")],
        )
    # A 20-digit modality id, wherever a modality is chosen.
    for role in ROLES:
        send(
            world,
            record,
            role,
            "GET",
            reverse("therapists:directory"),
            query=[("modality", HUGE), ("postcode", "\x00")],
        )
        send(
            world,
            record,
            role,
            "GET",
            reverse("booking:start"),
            query=[("modality", HUGE), ("duration", HUGE), ("therapist", HUGE)],
        )
    send(
        world,
        record,
        "therapist",
        "POST",
        reverse("therapists:profile_edit"),
        {"modalities": [HUGE], "display_name": "A", "postcode": "10001"},
    )
    send(
        world,
        record,
        "therapist",
        "POST",
        reverse("therapists:services"),
        {"modality": HUGE, "duration_minutes": "60", "price": "10"},
    )
    send(
        world,
        record,
        "staff",
        "GET",
        "/admin/therapists/therapistprofile/",
        query=[("modalities__id__exact", HUGE), ("q", "\x00")],
    )
    send(
        world,
        record,
        "staff",
        "GET",
        "/admin/booking/booking/",
        query=[
            ("starts_at__gte", "9999-12-31"),
            ("therapist__id__exact", HUGE),
            ("o", "abc"),
            ("p", HUGE),
        ],
    )
    # The admin's add pages with initial values that do not parse; a crontab celery refuses.
    for query in (
        "therapist=abc",
        "therapist=+",
        f"therapist={HUGE}",
        "starts_at=x&date=9999-99-99",
    ):
        for model in ("therapists/service", "therapists/timeoff", "payments/paymentpolicy"):
            send(world, record, "staff", "GET", f"/admin/{model}/add/?{query}")
    send(world, record, "staff", "POST", "/admin/payments/paymentpolicy/add/", {"therapist": " "})
    send(
        world,
        record,
        "staff",
        "POST",
        "/admin/django_celery_beat/crontabschedule/add/",
        {"minute": "2", "month_of_year": "-922", "timezone": "UTC"},
    )
    # NUL characters in queries and form fields.
    for role in ROLES:
        send(
            world,
            record,
            role,
            "GET",
            reverse("therapists:directory"),
            query=[("modality", "myo\x00fascial"), ("postcode", "100\x0001")],
        )
        send(
            world,
            record,
            role,
            "GET",
            reverse("booking:start"),
            query=[("modality", "\x00"), ("duration", "60"), ("postcode", "\x00")],
        )
    send(
        world,
        record,
        "client",
        "POST",
        reverse("clients:profile_edit"),
        {"street": "1 Main\x00 St", "city": "\x00", "postcode": "10001", "phone": "\x00"},
    )
    send(
        world,
        record,
        "anonymous",
        "POST",
        "/accounts/login/",
        {"login": "a\x00@example.com", "password": "\x00"},
    )
    send(
        world,
        record,
        "anonymous",
        "POST",
        "/accounts/signup/",
        {"email": "a\x00@example.com", "password1": "\x00", "password2": "\x00"},
    )
    send(
        world,
        record,
        "client",
        "POST",
        reverse("booking:cancel", kwargs={"pk": b}),
        {"reason": "\x00"},
    )
    send(
        world,
        record,
        "client",
        "GET",
        reverse("aftercare:feedback", kwargs={"pk": p}),
        query=[("\x00", "\x00")],
    )
    # An EPS file (and other non-images) as the therapist's photo.
    for index in range(len(UPLOADS)):
        send(
            world,
            record,
            "therapist",
            "POST",
            reverse("therapists:profile_edit"),
            {
                # A complete profile, so that only the photo can stop it.
                "photo": _upload(index),
                "display_name": "A",
                "postcode": "10001",
                "licence_number": "LMT-1",
                "time_zone": "America/New_York",
                "modalities": world.field_values["modalities"][:1],
                "radius_km": "20",
                "travel_speed_kmh": "30",
                "min_travel_buffer_minutes": "15",
                "min_notice_hours": "0",
                "max_visits_per_day": "6",
            },
        )
        send(
            world,
            record,
            "staff",
            "POST",
            f"/admin/therapists/therapistprofile/{t}/change/",
            {"photo": _upload(index)},
        )


# --- The test ------------------------------------------------------------------------------------


@pytest.fixture
def quiet() -> Iterator[None]:
    # Thousands of 4xx (and any 5xx) would each log a traceback; the assertion lists the 5xx.
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def test_it_answers_no_hostile_request_with_a_server_error(world: World, quiet: None) -> None:
    started = time.monotonic()
    record = Record()
    all_routes = routes(world)
    seeded(world, record)
    page_fields = discover(world, record, all_routes)
    common = sorted(source_field_names())
    urls = [(route.name, url) for route in all_routes for url in route.urls]
    admin_lists = [u for name, u in urls if name.endswith("_changelist")]
    # Only staff get past the admin's login; the others fuzz the rest of the site.
    site_routes = [route for route in all_routes if not route.name.startswith("admin:")]

    def value(data: st.DataObject, name: str) -> Any:
        valid = world.field_values.get(name)
        if valid and data.draw(st.booleans()):
            return data.draw(st.sampled_from(valid))
        if name == "photo" or name.endswith("file"):
            return _upload(data.draw(st.integers(0, len(UPLOADS) - 1)))
        if data.draw(st.integers(0, 9)) == 0:  # a list where one value is expected
            return data.draw(st.lists(scalars, max_size=3))
        return data.draw(scalars)

    @settings(
        max_examples=EXAMPLES,
        derandomize=not RANDOM,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        role = data.draw(st.sampled_from(ROLES))
        if role == "staff" and data.draw(st.integers(0, 4)) == 0:
            name, url = "admin changelist", data.draw(st.sampled_from(admin_lists))
        else:
            # A route, then one of its URLs: each pattern as likely as another, however many
            # path values it has.
            route = data.draw(st.sampled_from(all_routes if role == "staff" else site_routes))
            name, url = route.name, data.draw(st.sampled_from(route.urls))
        fields = sorted(page_fields.get(name, set())) or common
        pool = fields + common
        chosen = data.draw(st.lists(st.sampled_from(pool), max_size=8, unique=True))
        if data.draw(st.booleans()):
            # The page's own form: most fields valid-looking, some hostile, some missing.
            chosen = sorted(set(chosen) | set(fields[:12]))
        htmx = data.draw(st.integers(0, 4)) == 0
        kind = data.draw(st.sampled_from(["GET", "GET", "POST", "POST", "JSON"]))
        if kind == "GET":
            query: list[tuple[str, str]] = []
            for n in chosen:
                v = value(data, n)
                if isinstance(v, list):
                    query += [(n, str(x)) for x in v]
                else:
                    query.append((n, v.name if isinstance(v, SimpleUploadedFile) else str(v)))
            query += [(n, s) for n in chosen[:1] for s in data.draw(st.lists(scalars, max_size=2))]
            send(world, record, role, "GET", url, query=query, htmx=htmx)
        elif kind == "POST":
            form = {n: value(data, n) for n in chosen}
            send(world, record, role, "POST", url, form, htmx=htmx)
        else:
            body = data.draw(
                st.one_of(
                    st.text(max_size=60),
                    st.builds(json.dumps, st.dictionaries(st.sampled_from(pool), scalars)),
                    st.just('{"type": "payment_intent.succeeded", "data": {"object": {}}}'),
                )
            )
            send(world, record, role, "POST", url, json_body=body)

    fuzz()
    seconds = time.monotonic() - started
    summary = (
        f"fuzz: {record.sent} requests over {len(all_routes)} URL patterns in {seconds:.0f} s; "
        f"statuses {dict(sorted(record.statuses.items()))}; {len(record.failures)} x 5xx"
    )
    print(summary)
    for role, statuses in record.by_role.items():
        print(f"  {role}: {dict(sorted(statuses.items()))}")
    assert not record.failures, summary + "\n" + "\n".join(record.failures[:200])
    assert record.sent >= MIN_REQUESTS, summary
