from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from accounts.mail import send_after_commit


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
        # Render now, send from a worker after commit: a slow mail server never slows a page.
        send_after_commit(self.render_mail(template_prefix, email, context))
