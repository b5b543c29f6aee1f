from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from core import outbox
from core.zones import viewer_zone


@dataclass(frozen=True)
class EmailSite:
    """What allauth's e-mails call ``current_site``. Without the sites framework allauth
    would use the request's host ("127.0.0.1:8000") as the name, or nothing at all."""

    name: str
    domain: str


def email_site() -> EmailSite:
    return EmailSite(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # Public sign-up makes clients; therapists sign up through their own form, and staff
        # are made in admin. The role never comes from the request.
        user = super().save_user(request, user, form, commit=False)
        role = getattr(form, "signup_role", None)
        user.role = role or user.Role.CLIENT
        if commit:
            user.save()
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth renders its own messages; the outbox keeps the rendered copy and sends it
        # after commit, so a slow mail server or a broker outage never costs the sign-up.
        ctx = {
            "email": email,
            **context,
            "current_site": email_site(),
            "site_url": settings.SITE_URL,
            # Times in a notice are in the account holder's zone (named in the e-mail).
            "zone": viewer_zone(context.get("user")),
        }
        message = self.render_mail(template_prefix, email, ctx)
        outbox.enqueue(kind=outbox.RENDERED, to=email, facts=outbox.message_to_facts(message))

    def send_notification_mail(
        self,
        template_prefix: str,
        user: Any,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        # allauth leaves the user out of a notice's context; the notice needs their zone.
        super().send_notification_mail(
            template_prefix, user, {**(context or {}), "user": user}, email
        )
