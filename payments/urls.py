from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("payments/checkout/setup/", views.checkout_setup, name="checkout_setup"),
    path("payments/stripe/webhook/", views.webhook, name="webhook"),
    path("payments/visits/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("payments/visits/<int:pk>/receipt/<str:token>/", views.receipt_link, name="receipt_link"),
    path("payments/visits/<int:pk>/check/<str:token>/", views.sync, name="sync"),
    path("payments/visits/<int:pk>/tip/<str:token>/", views.tip, name="tip"),
]
