"""``manage.py seed_load [--scale 0.1]``: a business at size for the admin benchmark."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backoffice.load import FULL, scaled, seed_load


class Command(BaseCommand):
    help = (
        "Write test data at size with bulk inserts: 200 therapists, 20,000 clients and "
        "200,000 bookings at --scale 1 (the default), with their intakes, notes, feedback, "
        "reminders, payments and e-mails. Never on a real database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="e.g. 0.1 for a tenth")
        parser.add_argument("--therapists", type=int, help=f"default {FULL['therapists']}×scale")
        parser.add_argument("--clients", type=int, help=f"default {FULL['clients']}×scale")
        parser.add_argument("--bookings", type=int, help=f"default {FULL['bookings']}×scale")
        parser.add_argument("--tag", default="load", help="prefix of e-mails and slugs")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] <= 0:
            raise CommandError("--scale must be more than 0.")
        sizes = scaled(options["scale"])
        for name in sizes:
            if options[name] is not None:
                if options[name] < 1:
                    raise CommandError(f"--{name} must be at least 1.")
                sizes[name] = options[name]
        started = time.perf_counter()
        loaded = seed_load(**sizes, tag=options["tag"])
        took = time.perf_counter() - started
        total = sum(loaded.counts.values())
        for label, n in loaded.counts.items():
            self.stdout.write(f"  {label:32} {n:>9,}")
        self.stdout.write(
            self.style.SUCCESS(f"{total:,} rows in {took:.1f} s (tag {loaded.tag!r}).")
        )
