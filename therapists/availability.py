"""When a therapist's free times, or anything their public listing shows, may have changed.

Free times are cached (``booking.availability``) under the therapist's
``availability_version``. The version is a column of the therapist's row, so the web workers
and the Celery worker that expires pending holds all see the same one, whatever cache each
process has. It is bumped:

- by the receivers below, on every save or delete of a row the engine or a card reads
  (profile, services, weekly hours, extra hours, time off, modalities), from any entry point:
  the therapist's pages, admin, a shell;
- by ``availability_changed`` called from services that write with ``update()`` or
  ``bulk_create()`` (which send no signals): the booking services and the weekly hours;
- by the apps above for what the profile shows of theirs: feedback and its moderation
  (aftercare), payment terms (payments).

Kept pages for anonymous visitors (``core.pagecache``: directory, profile, slots API) are
keyed by the versions of the therapists they show, so the same bump renews them.

The bump is an UPDATE in the transaction of the change, so it commits or rolls back with it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from therapists.models import DateOverride, Service, TherapistProfile, TimeOff, WeeklyHours


def availability_changed(*, therapist_id: int | None) -> None:
    if therapist_id is not None:
        TherapistProfile.objects.filter(pk=therapist_id).update(
            availability_version=F("availability_version") + 1
        )


def _owned_row_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    availability_changed(therapist_id=instance.therapist_id)


def _profile_changed(sender: Any, instance: TherapistProfile, **kwargs: Any) -> None:
    availability_changed(therapist_id=instance.pk)


def _modalities_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if isinstance(instance, TherapistProfile):
        availability_changed(therapist_id=instance.pk)
    else:  # changed from the modality's side: every therapist in pk_set
        for pk in kwargs.get("pk_set") or ():
            availability_changed(therapist_id=pk)


def connect() -> None:
    for model in (Service, WeeklyHours, DateOverride, TimeOff):
        post_save.connect(_owned_row_changed, sender=model, dispatch_uid=f"avail-{model.__name__}")
        post_delete.connect(
            _owned_row_changed, sender=model, dispatch_uid=f"avail-del-{model.__name__}"
        )
    post_save.connect(_profile_changed, sender=TherapistProfile, dispatch_uid="avail-profile")
    m2m_changed.connect(
        _modalities_changed,
        sender=TherapistProfile.modalities.through,
        dispatch_uid="avail-modalities",
    )
