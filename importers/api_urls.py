from django.urls import path

from importers import api_views

urlpatterns = [
    path("imports/", api_views.ImportListView.as_view(), name="import-list"),
    path("imports/<int:pk>/", api_views.ImportDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/commit/", api_views.ImportCommitView.as_view(), name="import-commit"),
    path(
        "imports/<int:pk>/rejected.csv",
        api_views.ImportRejectedView.as_view(),
        name="import-rejected",
    ),
]
