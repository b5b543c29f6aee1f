"""The portal's pages, under the names of the apps they belong to (``config/urls.py`` mounts
``therapist_pages`` into the ``therapists`` namespace, after the therapist's own pages)."""

from django.urls import path

from portal import views

account_pages = [
    path("dashboard/", views.dashboard, name="dashboard"),
]

therapist_pages = [
    path("therapists/", views.directory, name="directory"),
    path("therapists/me/calendar/events/", views.calendar_events, name="calendar_events"),
    path("therapists/feed/<str:token>.ics", views.feed, name="feed"),
    path("therapists/visits/<int:pk>/", views.visit, name="visit"),
    # Last: a profile's slug would otherwise shadow the fixed paths above
    # (therapists.services.RESERVED_SLUGS keeps slugs from taking them).
    path("therapists/<slug:slug>/", views.profile, name="profile"),
]
