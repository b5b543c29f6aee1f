from __future__ import annotations

from django.contrib.auth.models import Group

from accounts.models import User

# The staff role a support agent has (backoffice.roles.SUPPORT, created by its migration).
SUPPORT_GROUP = "Support"


def ensure_user(
    *, email: str, password: str, role: str, first_name: str, last_name: str, **extra: object
) -> User:
    """Create the demo user or bring it back to its demo state (name, role, password)."""
    user, _ = User.objects.get_or_create(email=email, defaults={"role": role})
    user.role = role
    user.first_name = first_name
    user.last_name = last_name
    for key, value in extra.items():
        setattr(user, key, value)
    user.set_password(password)
    user.save()
    # Demo accounts are usable without clicking a verification link.
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed(*, password: str) -> list[tuple[str, str]]:
    ensure_user(
        email="admin@homeknots.example",
        password=password,
        role=User.Role.STAFF,
        first_name="Alex",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
    )
    support = ensure_user(
        email="support@homeknots.example",
        password=password,
        role=User.Role.STAFF,
        first_name="Sam",
        last_name="Support",
        is_staff=True,
        is_superuser=False,
    )
    support.groups.set(Group.objects.filter(name=SUPPORT_GROUP))
    ensure_user(
        email="client@homeknots.example",
        password=password,
        role=User.Role.CLIENT,
        first_name="Dana",
        last_name="Client",
    )
    return [
        ("staff (admin)", "admin@homeknots.example"),
        ("staff (Support role)", "support@homeknots.example"),
        ("client", "client@homeknots.example"),
    ]
