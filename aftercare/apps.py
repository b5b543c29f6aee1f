from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from booking.signals import booking_changed


class AftercareConfig(AppConfig):
    name = "aftercare"
    verbose_name = "Aftercare"

    def ready(self) -> None:
        # Registers the reminder queue and the alert builder with the dispatcher.
        from . import dispatch, emails  # noqa: F401
        from .models import Feedback
        from .receivers import on_booking_changed, on_feedback_saved

        booking_changed.connect(on_booking_changed, dispatch_uid="aftercare.on_booking_changed")
        post_save.connect(on_feedback_saved, sender=Feedback, dispatch_uid="aftercare.feedback")
        post_delete.connect(on_feedback_saved, sender=Feedback, dispatch_uid="aftercare.feedback-")
