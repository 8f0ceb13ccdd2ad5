from django.urls import path

from community.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.open_message, name="open"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read/", views.mark_read, name="read-all"),
]
