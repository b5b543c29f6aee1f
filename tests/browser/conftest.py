"""Browser tests: Playwright for Python driving Debian's Chromium against ``live_server``.

Every page a journey visits goes through :func:`check_a11y` (axe-core): a serious or critical
violation fails the test. A failing test leaves a full-page screenshot in test-results/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by the
# test itself (factories, assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HOMEKNOTS_CHROMIUM", "/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("HOMEKNOTS_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is required but not found at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """Journeys run at phone width unless a test asks otherwise."""
    return PHONE


# Chromium reports what the Content-Security-Policy blocked on the console, e.g. "Refused to
# apply inline style because it violates the following Content Security Policy directive: …",
# and a Permissions-Policy it cannot read ("Error with Permissions-Policy header: …").
POLICY_PROBLEM = re.compile(
    r"Content Security Policy|Content-Security-Policy|Refused to|Permissions-Policy"
)


@pytest.fixture
def page(browser, live_server, viewport, request) -> Iterator[object]:
    """A fresh browser tab. After the test, any CSP violation or uncaught script error that
    happened on any page of the journey fails it: the site must work under its own policy."""
    # Reduced motion: Bootstrap then skips its fades, so axe never measures a dialog's colours
    # half-way through fading in (a contrast "violation" that is only an animation frame).
    context = browser.new_context(
        viewport=viewport, base_url=live_server.url, locale="en-US", reduced_motion="reduce"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    console: list[str] = []
    errors: list[str] = []
    page.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text} ({page.url})"))
    page.on("pageerror", lambda exc: errors.append(f"{exc} ({page.url})"))
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    if failed is not None and not failed.failed:
        violations = [line for line in console if POLICY_PROBLEM.search(line)]
        assert not violations, "CSP violations or policy errors:\n" + "\n".join(violations)
        assert not errors, "uncaught errors in the page:\n" + "\n".join(errors)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def check_a11y(page) -> None:
    """Fail on any serious or critical axe-core violation on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert not bad, f"accessibility violations on {page.url}:\n" + "\n".join(bad)


def login(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
