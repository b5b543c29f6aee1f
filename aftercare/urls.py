from django.urls import path

from aftercare import views

app_name = "aftercare"

urlpatterns = [
    path("aftercare/visits/<int:pk>/notes/", views.session_note, name="session_note"),
    path("aftercare/visits/<int:pk>/feedback/", views.feedback, name="feedback"),
    path(
        "aftercare/visits/<int:pk>/feedback/<str:token>/",
        views.feedback_link,
        name="feedback_link",
    ),
    path(
        "aftercare/feedback/<int:pk>/pressure/",
        views.pressure_suggestion,
        name="pressure_suggestion",
    ),
    path("aftercare/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("aftercare/emails/", views.emails, name="emails"),
    path("aftercare/series/new/", views.series_new, name="series_new"),
    path("aftercare/series/<int:pk>/", views.series_detail, name="series_detail"),
]
