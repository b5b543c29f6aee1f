"""Care wording that several apps must say the same way (docs/care-rules.md).

The see-a-doctor threshold goes wherever soreness is discussed: reminders, flags, pages. It
lives here, once, so no message can carry a weaker or an older version of it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# For the client (docs/care-rules.md, "Soreness and aftercare").
DOCTOR_THRESHOLD = _(
    "Soreness from a massage is gone within about 5 days at most. Pain that lasts longer, "
    "starts days later, or is in an unusual place (such as your abdomen or ribs, or a limb "
    "going numb) is probably not from the massage: please see a doctor."
)

# For the therapist, in flags that tell them what to say about soreness.
DOCTOR_THRESHOLD_FOR_THERAPIST = _(
    "Tell the client that soreness lasting beyond about 5 days, starting days later, or in an "
    "unusual place (abdomen, ribs, a numb limb) is probably not from the massage and needs a "
    "doctor."
)
