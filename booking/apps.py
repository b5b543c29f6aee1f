from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Booking"

    def ready(self) -> None:
        # Registers the booking e-mail builders with the outbox, and the health-data rule
        # with Django's permissions ("clients.view_health_record").
        from booking import availability, emails, privacy  # noqa: F401

        availability.connect()
