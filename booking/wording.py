"""Words shared by the booking pages and e-mails: getting ready for a home visit, and the
change policy. Each line traces back to docs/care-rules.md."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# What to get ready for a home visit (docs/care-rules.md "In-home visits", "Pressure", "Soreness and
# aftercare", "When not to treat"). Shown on the review page, the visit page, the e-mails and
# the day-before reminder.
PREPARE_AT_HOME = [
    gettext_lazy(
        "Check your address and access notes (parking, stairs or lift, pets, entry code) so "
        "your therapist can get in on time."
    ),
    gettext_lazy("Clear a space for the massage table, with room to walk around it."),
    gettext_lazy(
        "Set the room the way you like it: the light, music or scents that help you relax."
    ),
    gettext_lazy(
        "Have water to hand: drink plenty after the visit, that day and the next, unless a "
        "doctor has told you otherwise."
    ),
    gettext_lazy(
        "Tell your therapist about the pressure you like, before and during the session. Some "
        "discomfort is normal, but say so if it goes past about 7 out of 10."
    ),
    gettext_lazy(
        "No alcohol or drugs before the visit: your therapist cannot treat you under the "
        "influence, because you could not tell them how the pressure feels."
    ),
    gettext_lazy(
        "Tell your therapist if your health has changed (a fever, a recent injury or surgery, "
        "new medication): some things mean postponing."
    ),
]


def policy_text() -> str:
    return _(
        "You can move or cancel this visit online up to %(hours)s hours before it starts. "
        "After that, please contact your therapist directly."
    ) % {"hours": settings.BOOKING_CANCEL_CUTOFF_HOURS}


# The reason a visit waiting for clearance is postponed with (the client reads it).
POSTPONED_UNTIL_CLEARED = gettext_lazy(
    "Postponed until your doctor has cleared you. Please book again once you have their clearance."
)

# What the therapist checks before treating (docs/care-rules.md "Pressure", "When not to
# treat", "Balance and positioning"): the visit page shows it for every visit.
BEFORE_TREATING = [
    gettext_lazy("Ask about pressure before the session, and during it; lighten up when told."),
    gettext_lazy("Warm the area with gentler work first, then go deeper gradually."),
    gettext_lazy("Avoid digging into bony areas, and areas you cannot identify."),
    gettext_lazy(
        "Do not treat a client who is under the influence of alcohol or drugs: they cannot "
        "give reliable feedback."
    ),
    gettext_lazy(
        "Balance front and back: tight muscles at the front (chest, front of the neck, arms) "
        "often cause back and neck complaints."
    ),
    gettext_lazy("Offer side-lying positions: long face-down time can stiffen the lower back."),
]


KM_PER_MILE = 1.609344


def _distance(km: float, *, miles: bool, whole: bool = False) -> str:
    value = km / KM_PER_MILE if miles else km
    shown = f"{value:,.1f}" if value < 10 and not whole else f"{max(1, round(value)):,}"
    shown = shown.removesuffix(".0")
    if miles:
        return _("%(n)s mile") % {"n": shown} if shown == "1" else _("%(n)s miles") % {"n": shown}
    return _("%(n)s km") % {"n": shown}


def out_of_area(
    *, name: str, radius_km: float, base: str, away_km: float, saved: bool, miles: bool
) -> str:
    """ "Maya travels up to 8 miles from Chelsea; your address is 2,400 miles away." """
    words = {
        "name": name,
        "radius": _distance(radius_km, miles=miles, whole=True),
        "base": base,
        "away": _distance(away_km, miles=miles),
    }
    if saved:
        return (
            _("%(name)s travels up to %(radius)s from %(base)s; your address is %(away)s away.")
            % words
        )
    return (
        _("%(name)s travels up to %(radius)s from %(base)s; that ZIP code is %(away)s away.")
        % words
    )
