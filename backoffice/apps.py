from django.apps import AppConfig


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
