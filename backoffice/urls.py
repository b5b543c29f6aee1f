from django.contrib import admin
from django.urls import path

from backoffice import views

app_name = "backoffice"

# Every page goes through the admin's own gate: staff only, the site's login otherwise.
urlpatterns = [
    path(
        "clients/<int:pk>/export/",
        admin.site.admin_view(views.client_export_page),
        name="client_export",
    ),
    path(
        "clients/<int:pk>/erase/",
        admin.site.admin_view(views.client_erase_page),
        name="client_erase",
    ),
    path("reports/", admin.site.admin_view(views.reports_page), name="reports"),
]
