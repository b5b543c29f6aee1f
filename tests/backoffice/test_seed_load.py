"""seed_load writes the sizes asked for, plausibly, and refuses nonsense."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from backoffice.load import FULL, scaled
from booking.models import Booking
from clients.models import ClientProfile, Intake
from therapists.models import TherapistProfile


def test_the_full_size_and_a_tenth():
    assert FULL == {"therapists": 200, "clients": 20_000, "bookings": 200_000}
    assert scaled(0.1) == {"therapists": 20, "clients": 2000, "bookings": 20_000}


@pytest.mark.django_db
def test_it_writes_what_was_asked_without_overlaps():
    out = StringIO()
    call_command("seed_load", "--therapists", "3", "--clients", "4", "--bookings", "90", stdout=out)
    assert TherapistProfile.objects.count() == 3
    assert ClientProfile.objects.count() == Intake.objects.count() == 4
    assert Booking.objects.count() == 90
    assert "booking.Booking" in out.getvalue()
    statuses = set(Booking.objects.values_list("status", flat=True))
    assert Booking.Status.COMPLETED in statuses and Booking.Status.CONFIRMED in statuses
    active = list(
        Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES).values_list(
            "therapist_id", "client_id", "starts_at", "ends_at"
        )
    )
    for i, (t1, c1, s1, e1) in enumerate(active):
        for t2, c2, s2, e2 in active[i + 1 :]:
            if t1 == t2 or c1 == c2:
                assert e1 <= s2 or e2 <= s1, "two active visits overlap"
    # A second run with another tag adds to the first.
    call_command("seed_load", "--scale", "0.0001", "--tag", "again", stdout=StringIO())
    assert TherapistProfile.objects.count() == 4


@pytest.mark.parametrize("args", [["--scale", "0"], ["--bookings", "0"]])
def test_it_refuses_nonsense(args):
    with pytest.raises(CommandError):
        call_command("seed_load", *args, stdout=StringIO())
