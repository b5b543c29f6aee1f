from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Values every template needs: the product name and the viewer's role."""
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user and user.is_authenticated else None
    return {"SITE_NAME": "HomeKnots", "user_role": role, "DEBUG": settings.DEBUG}
