from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from gis_app import views

api_v1 = [
    path("", include("gis_app.api.urls")),
    path("", include("layers.api.urls")),
    path("", include("component_catalog.api.urls")),
    path("", include("layers.basemap.api")),
    path("", include("importers.api.urls")),
    path("", include("reports.api")),
    path("", include("community.devices.api")),
    path("", include("community.parking.api")),
    path("", include("community.matters.api")),
    path("", include("map_ui.api")),
]

urlpatterns = [
    path("", include("map_ui.home_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("gis_app/favicon.svg")), name="favicon"),
    path("accounts/login/", views.PlatformLoginView.as_view(), name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("imports/", include("importers.urls")),
    path("reports/", include("reports.urls")),
    path("survey/", include("survey.urls")),
    path("notifications/", include("community.notify.urls")),
    path("api/v1/", include(api_v1)),
    path("open311/v2/", include("community.matters.open311.urls")),
    path("ogc", RedirectView.as_view(url="/ogc/", permanent=True)),
    path("ogc/", include("tiles.ogc_urls")),
    path("ogc/", include("layers.ogc.urls")),
    path("tiles/", include("tiles.urls")),
    path("", include("map_ui.urls")),
    path("", include("community.parking.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

# Errors outside DRF's own handling: JSON under /api/, a plain translated page elsewhere.
handler400 = "gis_app.error_pages.bad_request"
handler403 = "gis_app.error_pages.permission_denied"
handler404 = "gis_app.error_pages.page_not_found"
handler500 = "gis_app.error_pages.server_error"
