app_name = "therapists"

urlpatterns: list = []
