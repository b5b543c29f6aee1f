"""Idempotent demo data: run it as often as you like, it converges on the same data.

Each app contributes its part through a ``demo.seed(stdout)`` function, in dependency order.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_PASSWORD = "massage-demo-2026"
APPS_IN_ORDER = ["accounts", "therapists", "clients", "booking", "aftercare"]


class Command(BaseCommand):
    help = "Create or refresh the demo data and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins: list[tuple[str, str]] = []
        with transaction.atomic():
            for app in APPS_IN_ORDER:
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app}.demo":
                        raise
                    continue
                logins.extend(module.seed(password=DEMO_PASSWORD) or [])
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Logins (password for all: {DEMO_PASSWORD}):")
        )
        seen: set[str] = set()
        for role, email in logins:
            if email not in seen:  # an app that adds to another's demo user reports it too
                seen.add(email)
                self.stdout.write(f"  {role:<22} {email}")
