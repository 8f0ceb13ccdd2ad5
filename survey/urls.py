from django.urls import path

from survey import views

app_name = "survey"

urlpatterns = [
    path("", views.editor, name="editor"),
    path("sw.js", views.service_worker, name="service-worker"),
]
