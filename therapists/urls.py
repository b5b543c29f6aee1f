from django.urls import path

from therapists import views

app_name = "therapists"

# Fixed paths come before "therapists/<slug>/"; services.RESERVED_SLUGS keeps profile slugs
# from shadowing them.
urlpatterns = [
    path("therapists/signup/", views.signup, name="signup"),
    path("therapists/me/profile/", views.profile_edit, name="profile_edit"),
    path("therapists/me/hours/", views.hours, name="hours"),
    path("therapists/me/time-off/", views.time_off_add, name="time_off_add"),
    path("therapists/me/time-off/<int:pk>/delete/", views.time_off_delete, name="time_off_delete"),
    path("therapists/me/extra-hours/", views.override_add, name="override_add"),
    path(
        "therapists/me/extra-hours/<int:pk>/delete/",
        views.override_delete,
        name="override_delete",
    ),
    path("therapists/me/services/", views.service_list, name="services"),
    path("therapists/me/services/<int:pk>/", views.service_edit, name="service_edit"),
    path("therapists/me/services/<int:pk>/delete/", views.service_delete, name="service_delete"),
    path("therapists/me/calendar/", views.calendar, name="calendar"),
    path("therapists/me/calendar/block/", views.calendar_block, name="calendar_block"),
    path("therapists/me/calendar/reset-link/", views.feed_reset, name="feed_reset"),
]
