from django.urls import path

from booking import views

app_name = "booking"

urlpatterns = [
    path("book/", views.start, name="start"),
    path("book/review/", views.review, name="review"),
    path("visits/<int:pk>/", views.detail, name="detail"),
    path("visits/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("visits/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("visits/<int:pk>/link/<str:token>/cancel/", views.link_cancel, name="link_cancel"),
    path(
        "visits/<int:pk>/link/<str:token>/reschedule/",
        views.link_reschedule,
        name="link_reschedule",
    ),
    path("visits/<int:pk>/action/", views.visit_action, name="visit_action"),
    path("api/therapists/<int:pk>/slots", views.api_slots, name="api_slots"),
]
