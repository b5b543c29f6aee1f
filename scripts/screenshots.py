"""Take the README's screenshots: a throwaway server with demo data, Chromium at phone and
desktop widths. Run: .venv/bin/python scripts/screenshots.py [--only NAME]"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "massage-demo-2026"
CLIENT = "client@homeknots.example"
THERAPIST = "maya@homeknots.example"
ADMIN = "admin@homeknots.example"

# (file name, who is logged in, path, width)
PAGES = [
    ("landing", None, "/", 1280),
    ("landing-phone", None, "/", 390),
    ("directory", None, "/therapists/?modality=myofascial&postcode=10001", 1280),
    ("therapist-profile", None, "/therapists/maya-chen/?postcode=10001", 1280),
    ("therapist-profile-out-of-area", None, "/therapists/maya-chen/?postcode=90210", 390),
    ("client-dashboard", CLIENT, "/dashboard/", 1280),
    ("client-dashboard-phone", CLIENT, "/dashboard/", 390),
    ("intake", CLIENT, "/me/intake/", 1280),
    ("intake-phone", CLIENT, "/me/intake/", 390),
    ("booking-flow", CLIENT, "/book/?modality=myofascial&duration=60", 1280),
    ("therapist-calendar", THERAPIST, "/therapists/me/calendar/", 1280),
    ("therapist-today", THERAPIST, "/dashboard/", 1280),
    ("admin", ADMIN, "/admin/", 1280),
    ("admin-reports", ADMIN, "/admin/backoffice/reports/", 1280),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=None)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = ROOT / "var" / "screenshots.sqlite3"
    db.unlink(missing_ok=True)
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{db}"}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [python, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            for name, who, path, width in PAGES:
                if args.only and args.only != name:
                    continue
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, base_url=BASE
                )
                page = context.new_page()
                if who:
                    page.goto("/accounts/login/")
                    page.fill("#id_login", who)
                    page.fill("#id_password", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_load_state("networkidle")
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=width < 600)
                print(f"{name}: {page.url}")
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
