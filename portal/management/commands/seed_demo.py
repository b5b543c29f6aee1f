"""Idempotent demo data: run it as often as you like, it converges on the same data.

Each app contributes its part through ``<app>.demo.seed(password=...)``, called in the order
of the layers (an app's demo may rely on the demo of the apps below it). The portal sits above
every app, so this command imports them all directly.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo
from aftercare import demo as aftercare_demo
from booking import demo as booking_demo
from clients import demo as clients_demo
from therapists import demo as therapists_demo

DEMO_PASSWORD = "massage-demo-2026"
SEEDS = [accounts_demo, therapists_demo, clients_demo, booking_demo, aftercare_demo]


class Command(BaseCommand):
    help = "Create or refresh the demo data and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins: list[tuple[str, str]] = []
        with transaction.atomic():
            for module in SEEDS:
                logins.extend(module.seed(password=DEMO_PASSWORD) or [])
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Logins (password for all: {DEMO_PASSWORD}):")
        )
        seen: set[str] = set()
        for role, email in logins:
            if email not in seen:  # an app that adds to another's demo user reports it too
                seen.add(email)
                self.stdout.write(f"  {role:<22} {email}")
