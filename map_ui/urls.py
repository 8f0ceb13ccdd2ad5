from django.urls import path

from map_ui import views

app_name = "map_ui"

urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("map/basemaps.json", views.basemaps_json, name="basemaps"),
    path("facilities/<str:identifier>/", views.facility_page, name="facility"),
]
