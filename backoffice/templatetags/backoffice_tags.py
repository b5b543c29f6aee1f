"""The admin home page's overview: each count shows only to staff who may open its list (the
model admin's own view permission, which for feedback includes the health-data rule)."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib import admin

from backoffice.overview import Overview, Queue, operations_overview
from booking.models import Booking

register = template.Library()


@register.simple_tag(takes_context=True)
def operations_overview_for(context: dict[str, Any]) -> dict[str, Any] | None:
    request = context.get("request")
    if request is None or not getattr(request.user, "is_staff", False):
        return None
    overview: Overview = operations_overview()

    def may_view(model: Any) -> bool:
        model_admin = admin.site._registry.get(model)
        return model_admin is not None and model_admin.has_view_permission(request)

    queues: list[Queue] = [q for q in overview.queues if may_view(q.model)]
    return {
        "overview": overview,
        "queues": queues,
        "show_visits": may_view(Booking),
    }
