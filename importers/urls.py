from django.urls import path

from importers import views

app_name = "importers"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("areas/", views.areas, name="areas"),
    path("<int:pk>/", views.job, name="job"),
]
