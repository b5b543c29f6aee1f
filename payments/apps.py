from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from booking import checkout
from booking.signals import booking_changed


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # The receipt e-mail's builder, the booking flow's checkout, and what payments does
        # when a visit changes (inside the booking's transaction).
        from . import emails  # noqa: F401
        from .checkout import StripeCheckout
        from .models import PaymentPolicy
        from .receivers import on_booking_changed, on_terms_saved

        checkout.register(StripeCheckout())
        booking_changed.connect(on_booking_changed, dispatch_uid="payments.on_booking_changed")
        post_save.connect(on_terms_saved, sender=PaymentPolicy, dispatch_uid="payments.terms")
        post_delete.connect(on_terms_saved, sender=PaymentPolicy, dispatch_uid="payments.terms-")
