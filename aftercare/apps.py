from django.apps import AppConfig

from booking.signals import booking_changed


class AftercareConfig(AppConfig):
    name = "aftercare"
    verbose_name = "Aftercare"

    def ready(self) -> None:
        # Registers the reminder queue and the alert builder with the dispatcher.
        from . import dispatch, emails  # noqa: F401
        from .receivers import on_booking_changed

        booking_changed.connect(on_booking_changed, dispatch_uid="aftercare.on_booking_changed")
