from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone


def intake_post(**overrides: Any) -> dict[str, Any]:
    """A valid intake form submission (one painful area that refers elsewhere)."""
    data: dict[str, Any] = {
        "areas": ["upper-back-right"],
        "intensity_upper-back-right": "6",
        "refers_upper-back-right": ["arm-right"],
        "reasons": ["back_neck"],
        "goals": "Turn my head when driving.",
        "pressure": "firm",
        "discomfort_ceiling": "7",
        "last_massage_on": (timezone.localdate() - dt.timedelta(days=20)).isoformat(),
        "screening": [],
        "screening_none": "on",
        "medications": "",
        "other_notes": "",
        "consent_treatment": "on",
        "consent_data": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def post_data():
    return intake_post
