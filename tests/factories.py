"""factory_boy factories shared by every test module. Apps add theirs here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from booking.models import Booking
from clients.models import ClientProfile, Intake, PainArea
from therapists.models import Modality, Service, TherapistProfile, WeeklyHours

PASSWORD = "a-Strong-test-pass-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.CLIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    """A superuser with two-factor authentication on (staff need it to see health data);
    ``StaffFactory(mfa=False)`` for one without."""

    role = User.Role.STAFF
    is_staff = True
    is_superuser = True

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

            TOTP.activate(obj, generate_totp_secret())


def modality(slug: str = Modality.MYOFASCIAL) -> Modality:
    """Modalities come from a data migration; tests look them up rather than create them."""
    return Modality.objects.get(slug=slug)


class TherapistProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TherapistProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=User.Role.THERAPIST)
    slug = factory.Sequence(lambda n: f"therapist-{n}")
    display_name = factory.LazyAttribute(lambda o: o.user.get_full_name() or o.slug)
    licence_number = factory.Sequence(lambda n: f"LMT-{10000 + n}")
    approval = TherapistProfile.Approval.APPROVED
    time_zone = "America/New_York"
    postcode = "10001"
    latitude = Decimal("40.750742")
    longitude = Decimal("-73.996530")
    radius_km = 20
    min_notice_hours = 0
    auto_confirm = True

    @factory.post_generation
    def modalities(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.modalities.set(extracted or [modality()])


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    therapist = factory.SubFactory(TherapistProfileFactory)
    modality = factory.LazyFunction(modality)
    duration_minutes = 60
    price = Decimal("95.00")


class WeeklyHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyHours

    therapist = factory.SubFactory(TherapistProfileFactory)
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(17, 0)


class ClientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientProfile

    user = factory.SubFactory(UserFactory, role=User.Role.CLIENT)
    phone = "+1 212 555 0100"
    street = factory.Sequence(lambda n: f"{n + 1} West 31st Street")
    city = "New York"
    postcode = "10001"
    latitude = Decimal("40.748400")
    longitude = Decimal("-73.994000")
    access_notes = "Buzzer 4B, lift to the 4th floor."


class BookableClientFactory(ClientProfileFactory):
    """A client who can book: an address and a current intake with nothing to clear."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def intake(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            IntakeFactory(client=obj, **kwargs)


class IntakeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intake

    client = factory.SubFactory(ClientProfileFactory)
    version = factory.Sequence(lambda n: n + 1)
    reasons = factory.LazyFunction(lambda: [Intake.Reason.BACK_NECK])
    pressure = Intake.Pressure.MEDIUM
    discomfort_ceiling = 7
    screening = factory.LazyFunction(list)
    screening_none = factory.LazyAttribute(lambda o: not o.screening)
    last_massage_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=14))
    consent_treatment = True
    consent_data = True
    consented_at = factory.LazyFunction(timezone.now)


class PainAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PainArea

    intake = factory.SubFactory(IntakeFactory)
    region = "upper-back-right"
    intensity = 6
    refers_to = factory.LazyFunction(lambda: ["arm-right"])


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    client = factory.SubFactory(ClientProfileFactory)
    service = factory.SubFactory(ServiceFactory)
    therapist = factory.SelfAttribute("service.therapist")
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + dt.timedelta(minutes=o.service.duration_minutes)
    )
    status = Booking.Status.CONFIRMED
    price = factory.SelfAttribute("service.price")
    address = factory.LazyAttribute(lambda o: o.client.address_one_line)
