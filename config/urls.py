from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

import portal.urls
import therapists.urls
from config import views

# The therapists namespace is made of the therapist app's own pages and the portal's pages
# that show therapists with other apps' data (free times, visits); the profile's catch-all
# slug comes last.
therapists_namespace = (therapists.urls.urlpatterns + portal.urls.therapist_pages, "therapists")

# The admin has no login of its own: it sends to the site's login, which is throttled per
# account and per address and asks for the second factor of those who turned it on.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/backoffice/", include("backoffice.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include(portal.urls.account_pages)),
    path("", include(therapists_namespace)),
    path("", include("clients.urls")),
    path("", include("booking.urls")),
    path("", include("aftercare.urls")),
    path("", include("payments.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
