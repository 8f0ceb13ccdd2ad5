"""The residents' finder is the site's home page, named ``home`` (outside the map_ui
namespace, as the base template and the login/logout redirects expect)."""

from django.urls import path

from map_ui import views

urlpatterns = [path("", views.resident_home, name="home")]
