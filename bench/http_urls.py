"""``/bench/ok`` (a view that does nothing) in front of the site's own URLs."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urls


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("bench/ok", ok), *site_urls]
