"""Who may see a client's health data: the one rule, and its log.

Health data is everything that comes from the intake (answers, pain areas, care flags, the
progress charts drawn from them), session notes, feedback, and the phone and emergency contact
given for visits. The rule:

- the client sees all of their own;
- staff see it only with the ``clients.view_intake`` permission (a superuser has it; a staff
  user without it sees none) and two-factor authentication on (``clients.permissions``);
- a therapist sees it only inside the *care window* of one of their own visits with the
  client: from ``VISIBLE_BEFORE_VISIT`` before the visit starts until ``VISIBLE_AFTER_VISIT``
  after, for a visit that was not cancelled or declined. Notes and feedback about *another*
  therapist's visits need more: an accepted visit (not a request still waiting for an answer)
  in the window, and only for visits before it (a later therapist reads the file that came
  before them, not what was written after they stopped seeing the client).
- nobody else sees any.

It lives in ``booking`` because the window is made of bookings, and ``clients`` sits below
booking: the clients app asks through Django's permission API
(``user.has_perm("clients.view_health_record", client)``, registered here with ``rules``),
the apps above call :func:`health_access` directly. Every look by someone other than the
client is written to the access log (``clients.IntakeAccessLog``) by :func:`health_view`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import rules
from django.db.models import Q, QuerySet
from django.utils import timezone

from booking.models import Booking
from clients.models import ClientProfile, Intake
from clients.permissions import staff_may_see_health_data
from clients.services import health_view_record

VISIBLE_BEFORE_VISIT = dt.timedelta(days=7)
VISIBLE_AFTER_VISIT = dt.timedelta(days=30)

# A booking that never happened gives no access.
_NOT_A_VISIT = (Booking.Status.CANCELLED, Booking.Status.DECLINED)
# A request the therapist has not accepted (or a visit still waiting for clearance) gives access
# to what they need to decide (the intake), not to what other therapists wrote.
_UNANSWERED = Booking.UNANSWERED_STATUSES

OWNER = "owner"
STAFF = "staff"
THERAPIST = "therapist"


@dataclass(frozen=True)
class HealthAccess:
    allowed: bool
    role: str = ""
    # A therapist may also read what other therapists wrote (notes, feedback) …
    others_records: bool = False
    # … about visits that started by then (their newest accepted visit in the window).
    others_until: dt.datetime | None = None
    # The visits that open the window (a therapist's), newest first.
    visits: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


DENIED = HealthAccess(False)


def care_window_visits(
    *, therapist_user_id: int, client_id: int, now: dt.datetime
) -> QuerySet[Booking]:
    """This therapist's visits with this client whose care window contains ``now``."""
    return (
        Booking.objects.filter(
            client_id=client_id,
            therapist__user_id=therapist_user_id,
            starts_at__gte=now - VISIBLE_AFTER_VISIT,
            starts_at__lte=now + VISIBLE_BEFORE_VISIT,
        )
        .exclude(status__in=_NOT_A_VISIT)
        .order_by("-starts_at")
    )


def health_access(
    *, user: Any, client: ClientProfile | int, now: dt.datetime | None = None
) -> HealthAccess:
    """May ``user`` see ``client``'s health data now? (No log: see :func:`health_view`.)"""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return DENIED
    client_id = client if isinstance(client, int) else client.pk
    client_user_id = (
        client.user_id
        if isinstance(client, ClientProfile)
        else ClientProfile.objects.filter(pk=client_id).values_list("user_id", flat=True).first()
    )
    if client_user_id == user.pk:
        return HealthAccess(True, OWNER, others_records=True)
    if user.is_staff:
        if staff_may_see_health_data(user):
            return HealthAccess(True, STAFF, others_records=True)
        return DENIED
    if not getattr(user, "is_therapist", False):
        return DENIED
    now = now or timezone.now()
    visits = list(
        care_window_visits(therapist_user_id=user.pk, client_id=client_id, now=now).values_list(
            "pk", "status", "starts_at"
        )
    )
    if not visits:
        return DENIED
    accepted = [starts for _pk, status, starts in visits if status not in _UNANSWERED]
    return HealthAccess(
        True,
        THERAPIST,
        others_records=bool(accepted),
        others_until=max(accepted) if accepted else None,
        visits=tuple(pk for pk, _s, _t in visits),
    )


def health_view(
    *,
    user: Any,
    client: ClientProfile,
    record: str,
    context: str,
    intake: Intake | None = None,
    now: dt.datetime | None = None,
) -> HealthAccess:
    """:func:`health_access`, and when it allows someone other than the client, one row in
    the access log. Every selector that returns health data to a page goes through here."""
    access = health_access(user=user, client=client, now=now)
    if access and access.role != OWNER:
        health_view_record(
            client=client, viewer=user, record=record, context=context, intake=intake
        )
    return access


def written_by_filter(access: HealthAccess, *, user: Any) -> Q:
    """Which notes or feedback rows (with a ``therapist`` and a ``booking``) ``access`` lets
    ``user`` read: all, or only those of the therapist's own visits."""
    if not access:
        return Q(pk__in=[])
    own = Q(therapist__user_id=user.pk)
    if not access.others_records:
        return own
    if access.others_until is None:  # the client and staff
        return Q()
    return own | Q(booking__starts_at__lte=access.others_until)


@rules.predicate
def _may_see_health_record(user: Any, client: Any) -> bool:
    if isinstance(client, Intake):
        client = client.client
    if not isinstance(client, ClientProfile):
        return False
    return bool(health_access(user=user, client=client))


rules.set_perm("clients.view_health_record", _may_see_health_record)
