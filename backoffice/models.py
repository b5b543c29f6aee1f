"""The back office's own record: who did what to whose data, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One thing staff did to a person's data (an export, an erasure). Kept after the erasure:
    the subject is named by its table and key, never by a name or an address, so the entry says
    what happened without keeping what was erased."""

    class Action(models.TextChoices):
        CLIENT_EXPORT = "client_export", _("Exported a client's data")
        CLIENT_ERASE = "client_erase", _("Erased a client")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # The actor's e-mail at the time: the account may be erased or renamed later.
    actor_email = models.CharField(_("who (e-mail then)"), max_length=254, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    subject_type = models.CharField(_("subject type"), max_length=64)
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="audit_subject")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.subject_type} #{self.subject_id}"
