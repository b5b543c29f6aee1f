from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("me/details/", views.profile_edit, name="profile_edit"),
    path("me/intake/", views.intake_edit, name="intake_edit"),
    path("me/intake/history/", views.intake_history_view, name="intake_history"),
    path("intakes/<int:pk>/", views.intake_detail, name="intake_detail"),
]
