"""The security headers every page sends, and the markup rules that let pages work under them.

The Content-Security-Policy (config/settings.py, "Security headers") has no 'unsafe-inline' for
scripts or styles, so a page only works if its HTML has no inline script, no on…= handler, no
style="" attribute and no <style> element. These tests check the headers on the main pages,
check the HTML those pages serve (templates and HTML built in Python alike), and scan every site
template so none of those can come back. The browser journeys (tests/browser) fail on any CSP
violation Chromium reports.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from booking.templatetags.booking_tags import slot_value
from tests import factories
from tests.booking.conftest import Setup, first_slot, open_all_week

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
# E-mails are read in mail clients, never served with the CSP: their inline styles stay.
NOT_SERVED = [ROOT / "templates" / "emails", ROOT / "templates" / "aftercare" / "email"]

# What the CSP refuses, as it would appear in HTML.
FORBIDDEN = {
    "inline event handler": re.compile(r"\son[a-z]+=", re.IGNORECASE),
    "htmx hx-on handler": re.compile(r"\shx-on[:-]", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    # Data blocks (json_script) are not run, so the CSP has nothing against them.
    "inline <script>": re.compile(
        r"<script(?![^>]*(\ssrc=|\stype=\"application/(ld\+)?json\"))[^>]*>", re.IGNORECASE
    ),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}

PERMISSIONS_OFF = ("camera", "microphone", "geolocation", "payment", "usb")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def forbidden_markup(html: str) -> list[str]:
    found = []
    for what, pattern in FORBIDDEN.items():
        for match in pattern.finditer(html):
            line = html.count("\n", 0, match.start()) + 1
            found.append(f"line {line}: {what}: {match.group(0).strip()!r}")
    return found


@dataclass
class World:
    setup: Setup
    booking: Booking


@pytest.fixture
def world(db) -> World:
    service = factories.ServiceFactory(therapist__min_notice_hours=30)
    open_all_week(service.therapist)
    client = factories.ClientProfileFactory()
    intake = factories.IntakeFactory(client=client)
    factories.PainAreaFactory(intake=intake, region="neck-back", refers_to=["shoulder-left"])
    booking = factories.BookingFactory(
        service=service,
        client=client,
        intake=intake,
        starts_at=timezone.now() - dt.timedelta(days=3),
        status=Booking.Status.COMPLETED,
    )
    setup = Setup(therapist=service.therapist, service=service, client=client, intake=intake)
    return World(setup=setup, booking=booking)


def _as(user) -> Client:
    http = Client()
    if user is not None:
        http.force_login(user)
    return http


# (name, who: None | "client" | "therapist", how to build the URL, extra request headers)
PAGES = [
    ("home", None, lambda w: reverse("home"), {}),
    ("directory", None, lambda w: reverse("therapists:directory"), {}),
    ("profile", None, lambda w: w.setup.therapist.get_absolute_url(), {}),
    ("login", None, lambda w: reverse("account_login"), {}),
    ("signup", None, lambda w: reverse("account_signup"), {}),
    # Admin signs in through the site's own login (throttled, two-factor): this is the page.
    ("admin login", None, lambda w: reverse("account_login") + "?next=/admin/", {}),
    ("client dashboard", "client", lambda w: reverse("dashboard"), {}),
    ("intake form", "client", lambda w: reverse("clients:intake_edit"), {}),
    ("booking: what", "client", lambda w: reverse("booking:start"), {}),
    (
        "booking: when",
        "client",
        lambda w: (
            f"{reverse('booking:start')}?therapist={w.setup.therapist.pk}"
            f"&service={w.setup.service.pk}"
        ),
        {},
    ),
    (
        "booking: another day (htmx)",
        "client",
        lambda w: (
            f"{reverse('booking:start')}?therapist={w.setup.therapist.pk}"
            f"&service={w.setup.service.pk}"
            f"&day={(timezone.localdate() + dt.timedelta(days=3)).isoformat()}"
        ),
        {"HTTP_HX_REQUEST": "true"},
    ),
    (
        "booking: review",
        "client",
        lambda w: (
            f"{reverse('booking:review')}?therapist={w.setup.therapist.pk}"
            f"&service={w.setup.service.pk}&starts_at={slot_value(first_slot(w.setup))}"
        ),
        {},
    ),
    ("client's visit", "client", lambda w: reverse("booking:detail", args=[w.booking.pk]), {}),
    ("therapist dashboard", "therapist", lambda w: reverse("dashboard"), {}),
    ("calendar", "therapist", lambda w: reverse("therapists:calendar"), {}),
    ("visit page", "therapist", lambda w: reverse("therapists:visit", args=[w.booking.pk]), {}),
    (
        "session notes",
        "therapist",
        lambda w: reverse("aftercare:session_note", args=[w.booking.pk]),
        {},
    ),
]


def _get(world: World, who, url, headers):
    user = {
        None: None,
        "client": world.setup.client.user,
        "therapist": world.setup.therapist.user,
    }[who]
    response = _as(user).get(url(world), **headers)
    assert response.status_code == 200, (url(world), response.status_code)
    return response


@pytest.mark.parametrize(("name", "who", "url", "headers"), PAGES, ids=[p[0] for p in PAGES])
def test_every_main_page_sends_a_strict_csp_and_a_permissions_policy(
    world, name, who, url, headers
):
    response = _get(world, who, url, headers)

    csp = csp_directives(response["Content-Security-Policy"])
    for directive in ("script-src", "style-src"):
        assert csp[directive][0] == "'self'", csp
        assert "'unsafe-inline'" not in csp[directive], csp
        assert "'unsafe-eval'" not in csp[directive], csp
        assert "'unsafe-hashes'" not in csp[directive], csp
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline script anywhere, so no nonce either
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]

    permissions = response["Permissions-Policy"]
    for feature in PERMISSIONS_OFF:
        assert f"{feature}=()" in permissions

    problems = forbidden_markup(response.content.decode())
    assert not problems, f"{name} serves markup the CSP refuses:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "who", "url", "headers"),
    [p for p in PAGES if p[0] != "calendar"],
    ids=[p[0] for p in PAGES if p[0] != "calendar"],
)
def test_pages_without_fullcalendar_allow_only_the_sites_own_styles_and_fonts(
    world, name, who, url, headers
):
    response = _get(world, who, url, headers)
    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["style-src"] == ["'self'"]
    assert csp["font-src"] == ["'self'"]
    assert 'name="csp-nonce"' not in response.content.decode()


def test_the_calendar_gives_fullcalendar_a_nonce_for_its_style_element_and_its_icon_font(world):
    http = _as(world.setup.therapist.user)
    first = http.get(reverse("therapists:calendar"))
    nonce = re.search(r'<meta name="csp-nonce" content="([^"]+)">', first.content.decode())
    assert nonce, "FullCalendar reads its style nonce from <meta name=csp-nonce>"
    csp = csp_directives(first["Content-Security-Policy"])
    assert csp["style-src"] == ["'self'", f"'nonce-{nonce.group(1)}'"]
    assert csp["font-src"] == ["'self'", "data:"]
    assert csp["script-src"] == ["'self'"]
    # A new nonce for every response.
    second = http.get(reverse("therapists:calendar"))
    assert nonce.group(1) not in second["Content-Security-Policy"]


def test_redirects_and_json_carry_the_headers_too(world):
    anonymous = Client().get(reverse("dashboard"))
    assert anonymous.status_code == 302
    assert "Content-Security-Policy" in anonymous
    assert "Permissions-Policy" in anonymous
    today = timezone.localdate()
    events = _as(world.setup.therapist.user).get(
        reverse("therapists:calendar_events"),
        {"start": today.isoformat(), "end": (today + dt.timedelta(days=7)).isoformat()},
    )
    assert events.status_code == 200
    assert "frame-ancestors 'none'" in events["Content-Security-Policy"]
    assert "camera=()" in events["Permissions-Policy"]


def test_the_permissions_policy_header_is_spelled_as_browsers_expect():
    from core.middleware import permissions_policy_header

    assert (
        permissions_policy_header({"camera": [], "fullscreen": ["self"]})
        == "camera=(), fullscreen=(self)"
    )


def _site_templates() -> list[Path]:
    paths = []
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".html", ".txt", ".svg") or not path.is_file():
                continue
            if any(path.is_relative_to(skip) for skip in NOT_SERVED):
                continue
            paths.append(path)
    return paths


def test_the_scan_sees_the_site_templates_and_skips_the_emails():
    found = {p.relative_to(ROOT).as_posix() for p in _site_templates()}
    assert "templates/base.html" in found
    assert "templates/therapists/calendar.html" in found
    assert not any(p.startswith(("templates/emails/", "templates/aftercare/email/")) for p in found)


def test_no_site_template_has_inline_handlers_styles_or_scripts():
    problems = []
    for path in _site_templates():
        for problem in forbidden_markup(path.read_text()):
            problems.append(f"{path.relative_to(ROOT)} {problem}")
    assert not problems, (
        "The Content-Security-Policy refuses these; use a class in a static CSS file, or a\n"
        "data- attribute handled by a static script (e.g. data-confirm, static/js/site.js):\n"
        + "\n".join(problems)
    )


def test_the_scan_catches_what_it_is_meant_to():
    for bad in (
        '<form onsubmit="return confirm(1)">',
        "<a href=x onclick='go()'>",
        '<span style="color:red">',
        "<svg><style>.a{}</style></svg>",
        "<script>alert(1)</script>",
        '<div hx-on:click="go()">',
        '<a href="javascript:go()">',
    ):
        assert forbidden_markup(bad), bad
    for fine in (
        '<script src="/static/js/site.js" defer></script>',
        '<rect fill="#1d5c57" stroke-width="2"/>',
        '<div class="hk-style" data-confirm="Sure?">',
        '<script id="slots" type="application/json">{"a": 1}</script>',
        "Someone = one, once = done",
    ):
        assert not forbidden_markup(fine), fine


def test_with_payments_on_only_stripes_origins_are_added(client, settings, db):
    settings.PAYMENTS_ENABLED = True
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = ""
    directives = csp_directives(client.get("/").headers["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'", "https://js.stripe.com"]
    assert set(directives["frame-src"]) == {
        "'self'",
        "https://js.stripe.com",
        "https://hooks.stripe.com",
    }
    assert set(directives["connect-src"]) == {
        "'self'",
        "https://js.stripe.com",
        "https://api.stripe.com",
    }
    assert directives["style-src"] == ["'self'"]

    settings.PAYMENTS_ENABLED = False
    directives = csp_directives(client.get("/").headers["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert "frame-src" not in directives
