from django.urls import path

from layers.ogc import views

urlpatterns = [
    path("", views.landing, name="ogc-landing"),
    path("conformance", views.conformance, name="ogc-conformance"),
    path("api", views.api, name="ogc-api"),
    path("collections", views.collections, name="ogc-collections"),
    path("collections/<slug:collection_id>", views.collection, name="ogc-collection"),
    path("collections/<slug:collection_id>/queryables", views.queryables, name="ogc-queryables"),
    path("collections/<slug:collection_id>/items", views.items, name="ogc-items"),
    path(
        "collections/<slug:collection_id>/items/<str:feature_id>",
        views.item,
        name="ogc-item",
    ),
]
