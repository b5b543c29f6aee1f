"""Demo clients: Dana (client@homeknots.example) with an intake showing referred pain, and Sam
(new.client@homeknots.example), who has never had a massage and has fibromyalgia.

Idempotent: profiles converge on the values below; an intake is created only when the client has
none, because bookings may already point at the existing version (versions are never edited).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.demo import ensure_user
from accounts.models import User
from clients.models import ClientProfile, Intake
from clients.services import PainAreaInput, client_profile_save, intake_create

DEMO_CLIENT = "client@homeknots.example"
NEW_CLIENT = "new.client@homeknots.example"


def _profile(user: User, **fields: Any) -> ClientProfile:
    return client_profile_save(
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        time_zone="America/New_York",
        **fields,
    )


def seed(*, password: str) -> list[tuple[str, str]]:
    dana = User.objects.filter(email=DEMO_CLIENT).first() or ensure_user(
        email=DEMO_CLIENT,
        password=password,
        role=User.Role.CLIENT,
        first_name="Dana",
        last_name="Client",
    )
    dana_profile = _profile(
        dana,
        phone="+1 212 555 0142",
        street="350 West 31st Street, Apt 4B",
        city="New York",
        postcode="10001",
        access_notes=(
            "Buzzer 4B. Lift to the 4th floor. A friendly cat; room for a table by the window."
        ),
        emergency_contact_name="Jordan Client",
        emergency_contact_phone="+1 212 555 0199",
        email_reminders=True,
    )
    if not dana_profile.intakes.exists():
        intake_create(
            client=dana_profile,
            reasons=[
                Intake.Reason.BACK_NECK,
                Intake.Reason.HEADACHES,
                Intake.Reason.REPETITIVE_STRAIN,
            ],
            goals=(
                "Work a full day at the desk without my neck locking up; fewer tension headaches."
            ),
            pressure=Intake.Pressure.FIRM,
            discomfort_ceiling=7,
            last_massage_on=timezone.localdate() - dt.timedelta(days=21),
            screening_none=True,
            front_of_body=True,
            medications="Ibuprofen now and then for headaches.",
            other_notes="Right-handed; long hours at a laptop.",
            consent_treatment=True,
            consent_data=True,
            pain_areas=[
                PainAreaInput("upper-back-right", 7, ("arm-right", "forearm-hand-right")),
                PainAreaInput("neck-back", 6, ("head",)),
                PainAreaInput("shoulder-right", 5, ()),
                PainAreaInput("jaw-left", 3, ("head",)),
            ],
        )

    sam = ensure_user(
        email=NEW_CLIENT,
        password=password,
        role=User.Role.CLIENT,
        first_name="Sam",
        last_name="Newcomer",
    )
    sam_profile = _profile(
        sam,
        phone="+1 718 555 0110",
        street="145 Berry Street, 2nd floor",
        city="Brooklyn",
        postcode="11249",
        access_notes="Street parking only. One flight of stairs, no lift.",
        emergency_contact_name="Alex Newcomer",
        emergency_contact_phone="+1 718 555 0111",
        email_reminders=True,
    )
    if not sam_profile.intakes.exists():
        intake_create(
            client=sam_profile,
            reasons=[Intake.Reason.FIBROMYALGIA, Intake.Reason.STRESS],
            goals="Less all-over aching and better sleep.",
            pressure=Intake.Pressure.LIGHT,
            discomfort_ceiling=5,
            never_had_massage=True,
            screening_none=True,
            side_lying=True,
            medications="Duloxetine.",
            consent_treatment=True,
            consent_data=True,
            pain_areas=[
                PainAreaInput("lower-back", 5, ("glute-left", "glute-right")),
                PainAreaInput("shoulder-left", 4, ()),
                PainAreaInput("shoulder-right", 4, ()),
                PainAreaInput("thigh-front-left", 3, ()),
            ],
        )
    return [("client (demo intake)", DEMO_CLIENT), ("client (first massage)", NEW_CLIENT)]
