from rest_framework.routers import SimpleRouter

from layers.api import registry, views

router = SimpleRouter()
router.register("areas", views.AdminAreaViewSet, basename="area")
router.register("grid-cells", views.GridCellViewSet, basename="gridcell")
router.register("layers", registry.LayerViewSet, basename="layer")
router.register("stewardships", registry.StewardshipViewSet, basename="stewardship")

urlpatterns = router.urls
