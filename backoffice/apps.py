from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate


def _sync_roles(sender: Any, **kwargs: Any) -> None:
    # A model added after the roles' migration joins "Operations lead" (backoffice.roles).
    from backoffice.roles import roles_sync

    roles_sync(apps=kwargs.get("apps") or global_apps)


class BackofficeConfig(AppConfig):
    """Running the business from Django admin: the operations overview, the admin actions that
    span several apps (suspend a therapist and cancel their visits), staff roles, reports and
    privacy requests. It sits beside portal, above every product app, so it may call any
    app's services and selectors; it holds no business rule of its own."""

    name = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        # After admin's autodiscovery (django.contrib.admin comes first in INSTALLED_APPS):
        # add the actions that need several apps to the registered admins.
        from backoffice import admin_therapists

        admin_therapists.add_suspend_action()
        # Sent once per app; only for this one, which comes after every app it gives rights on
        # (their permissions are written by then).
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="backoffice-roles")
