from django.urls import path
from rest_framework.routers import SimpleRouter

from component_catalog.api import quality, views

router = SimpleRouter()
router.register("component-classes", views.ComponentClassViewSet, basename="componentclass")
router.register("components", views.ComponentViewSet, basename="component")

urlpatterns = [
    path("nearest/", views.NearestView.as_view(), name="nearest"),
    path("quality/", quality.QualityView.as_view(), name="quality"),
    path("changesets/", views.ChangesetView.as_view(), name="changesets"),
    path("changesets/<int:pk>/close/", views.ChangesetCloseView.as_view(), name="changeset-close"),
    path(
        "components/<str:identifier>/photos/",
        views.ComponentPhotosView.as_view(),
        name="component-photos",
    ),
    path(
        "components/<str:identifier>/photos/<int:pk>/image/",
        views.ComponentPhotoImageView.as_view(),
        name="component-photo-image",
    ),
    *router.urls,
]
