from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the outbox queue and the "rendered" builder with the dispatcher, and the
        # production checks.
        from core import checks, outbox  # noqa: F401
