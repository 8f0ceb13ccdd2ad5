"""Parking's pages (its API is ``api.py``, under ``/api/v1/``)."""

from django.urls import path

from community.parking import map_pages

urlpatterns = [path("parking/find/", map_pages.find_car_page, name="parking-find")]
