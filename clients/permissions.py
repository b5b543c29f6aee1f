"""Staff and health data: the staff part of the one health-data rule (``booking.privacy``).

A staff member sees a client's health data only with the ``clients.view_intake`` permission
(a superuser has every permission) and with two-factor authentication turned on: health data
behind a password alone is one phished password away."""

from __future__ import annotations

from typing import Any

from allauth.mfa.utils import is_mfa_enabled

STAFF_PERMISSION = "clients.view_intake"


def staff_may_see_health_data(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm(STAFF_PERMISSION)
        and is_mfa_enabled(user)
    )
