from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import User


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where each role lands after logging in. Each app contributes its own panel through a
    template tag (clients: intake and address; booking: visits; aftercare: reminders)."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_therapist:
        return render(request, "accounts/dashboard_therapist.html")
    if user.role == User.Role.STAFF or user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/dashboard_client.html")
