from __future__ import annotations

import pytest

from accounts import demo as accounts_demo
from clients import demo
from clients.care_flags import care_flags
from clients.models import ClientProfile, Intake

pytestmark = pytest.mark.django_db


def test_it_seeds_both_demo_clients_idempotently():
    accounts_demo.seed(password="demo-pass-123")
    logins = demo.seed(password="demo-pass-123")
    demo.seed(password="demo-pass-123")
    assert [email for _role, email in logins] == [
        "client@homeknots.example",
        "new.client@homeknots.example",
    ]
    assert ClientProfile.objects.count() == 2
    assert Intake.objects.count() == 2

    dana = ClientProfile.objects.get(user__email="client@homeknots.example")
    assert dana.postcode == "10001" and dana.point is not None
    areas = {a.region: a.refers_to for a in dana.intakes.get().pain_areas.all()}
    assert areas["upper-back-right"] == ["arm-right", "forearm-hand-right"]
    assert areas["neck-back"] == ["head"]

    sam = ClientProfile.objects.get(user__email="new.client@homeknots.example")
    assert sam.user.check_password("demo-pass-123")
    codes = {f.code for f in care_flags(intake=sam.intakes.get())}
    assert {"first_massage", "fibromyalgia"} <= codes
