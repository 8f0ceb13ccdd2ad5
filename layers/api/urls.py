from rest_framework.routers import SimpleRouter

from layers.api import views

router = SimpleRouter()
router.register("areas", views.AdminAreaViewSet, basename="area")
router.register("grid-cells", views.GridCellViewSet, basename="gridcell")

urlpatterns = router.urls
