"""Outgoing e-mail as rows: the transactional outbox.

Every e-mail the product sends is first a row, written in the same transaction as the change
that causes it (a booking, a sign-up, feedback, a completed visit). Nothing is rendered and no
broker or mail server is touched inside that transaction. After commit a Celery task is nudged
to send it at once; if the broker is down the nudge is lost, not the e-mail: beat runs the same
dispatcher every minute and sends whatever is due (``core.delivery``).

:class:`Delivery` holds the columns every sendable row shares (state, timing, attempts, the
claim). Two tables use it: :class:`Email` here (one-off messages about something that just
happened) and ``aftercare.models.Reminder`` (messages planned for later).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def message_id_domain() -> str:
    return str(getattr(settings, "EMAIL_MESSAGE_ID_DOMAIN", "homeknots"))


class Delivery(models.Model):
    """A message waiting to be sent, being sent, or done.

    Life of a row: PENDING until ``next_attempt_at`` → SENDING while one dispatcher holds it
    (``claim_token``) → SENT; or SKIPPED / CANCELLED (no longer wanted), or back to PENDING
    with a back-off after a failed attempt, FAILED after the last one. ``next_attempt_at`` is
    written only by the dispatcher and the services that schedule the row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    # The prefix of this table's Message-IDs: one table never collides with another.
    MESSAGE_ID_PREFIX = "message"

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    due_at = models.DateTimeField(_("due at"))
    stale_after = models.DateTimeField(
        _("skip if not sent by"),
        null=True,
        blank=True,
        help_text=_("Past this moment the message is no longer useful and is skipped."),
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    sent_by = models.CharField(_("sent by worker"), max_length=120, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def message_id(self) -> str:
        """The same Message-ID on every attempt, so a mail system that receives a message twice
        (a worker killed between the mail server's acceptance and the mark) shows it once."""
        created = int(self.created_at.timestamp()) if self.created_at else 0
        return f"<{self.MESSAGE_ID_PREFIX}-{self.pk}.{created}@{message_id_domain()}>"


class Email(Delivery):
    """A one-off e-mail: ``kind`` names the one function that builds it from ``facts``
    (``core.outbox.builder``); ``key`` makes enqueueing the same message twice a no-op."""

    MESSAGE_ID_PREFIX = "email"

    kind = models.CharField(_("kind"), max_length=60)
    to = models.EmailField(_("to"))
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    # NULL, not "": only rows that have a key are unique by it.
    key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True)  # noqa: DJ001
    subject = models.CharField(_("subject (as sent)"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails (outbox)")
        indexes = [
            # The dispatcher's claim: due pending rows in order. ``id`` is in the index so the
            # ORDER BY ... LIMIT is read off it instead of sorting every pending row.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status="pending"),
                name="email_pending_due",
            ),
            models.Index(fields=["status", "claimed_at"], name="email_status_claimed"),
            models.Index(fields=["kind", "-created_at"], name="email_kind_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(key__isnull=False), name="email_unique_key"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="email_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.get_status_display()})"
