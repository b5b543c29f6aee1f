from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core.zones import viewer_zone


def site(request: HttpRequest) -> dict[str, object]:
    """Values every template needs: the product name, the viewer's role, and whether a staff
    member still has to turn on two-factor authentication (the admin says so)."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    role = getattr(user, "role", None) if signed_in else None
    mfa_missing = bool(signed_in and user.is_staff and not is_mfa_enabled(user))  # type: ignore[union-attr]  # signed_in
    return {
        "SITE_NAME": settings.SITE_NAME,
        "user_role": role,
        "DEBUG": settings.DEBUG,
        "mfa_missing": mfa_missing,
        # The zone this reader sees times in; lazy, so a page without times asks nothing.
        "viewer_zone": SimpleLazyObject(lambda: _zone_key(user)),
    }


def _zone_key(user: object) -> str:
    return str(getattr(viewer_zone(user), "key", settings.TIME_ZONE))
