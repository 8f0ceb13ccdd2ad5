from django.urls import path

from importers.api import views

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="import-list"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/commit/", views.ImportCommitView.as_view(), name="import-commit"),
    path(
        "imports/<int:pk>/rejected.csv",
        views.ImportRejectedView.as_view(),
        name="import-rejected",
    ),
]
