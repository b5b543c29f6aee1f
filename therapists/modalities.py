"""The four modalities of docs/care-rules.md, in the product's own words. The slugs are a contract
(shared/CONTRACTS.md) and never change; staff may edit names and wording in admin."""

from __future__ import annotations

from typing import Any

MODALITIES = [
    (
        "myofascial",
        "Myofascial trigger point therapy",
        "Steady pressure on knots in the fascia around muscles, for long-standing pain.",
        "Your therapist holds firm, steady pressure on the trigger points in the connective "
        "tissue (fascia) that wraps your muscles, until they soften and let go. A good fit for "
        "pain that has hung around for months.",
    ),
    (
        "neuromuscular",
        "Neuromuscular therapy (NMT)",
        "Works on how nerves and muscles work together: chronic pain, injuries, posture.",
        "Neuromuscular therapy looks at the link between your nerves and how your muscles "
        "behave. It is used for chronic pain, recovery from injury and problems that come "
        "from posture.",
    ),
    (
        "sports",
        "Sports trigger point therapy",
        "For athletes and active people: overused muscles, flexibility and recovery.",
        "Made for people who train or play: it targets muscle groups you overuse, helps you "
        "move more freely and recover faster between sessions.",
    ),
    (
        "clinical",
        "Clinical trigger point therapy",
        "A whole-body look at posture, imbalances and movement, often alongside other care.",
        "Starts with an assessment of how you stand and move, looking for imbalances across "
        "the whole body, and treats the trigger points behind them. Often used alongside care "
        "from a physiotherapist or doctor.",
    ),
]


def ensure_modalities(modality_model: Any) -> None:
    """Create any of the four that is missing; never overwrite what staff edited."""
    for position, (slug, name, summary, description) in enumerate(MODALITIES):
        modality_model.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "summary": summary,
                "description": description,
                "position": position,
            },
        )
