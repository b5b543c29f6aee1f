from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The interface layer: pages that gather several apps' data (dashboards, the directory and
    profiles with free times, the therapist's visit page, calendar and feed). It sits above
    every product app and is the only place that may import all of them."""

    name = "portal"
    verbose_name = "Portal"
