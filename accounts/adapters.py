from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from core import outbox


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
        message = self.render_mail(template_prefix, email, context)
        outbox.enqueue(kind=outbox.RENDERED, to=email, facts=outbox.message_to_facts(message))
