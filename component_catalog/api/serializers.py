from typing import Any

from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from component_catalog import catalog_labels
from component_catalog.models import ComponentClass, ComponentHistory
from gis_app.history import EditorView
from layers.models import Layer, LayerKind


class ComponentClassSerializer(serializers.ModelSerializer):
    major = serializers.CharField(source="major_id", allow_null=True, read_only=True)
    geometry = serializers.CharField(source="geometry_kind", read_only=True)
    is_public = serializers.SerializerMethodField()
    layer = serializers.SerializerMethodField()
    attribute_schema = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_attribute_schema(self, obj: ComponentClass) -> dict[str, Any]:
        """The schema with titles (and ``x-enum-labels`` for the choices) in the request's
        language; validation keywords and stored values as in the catalog."""
        return catalog_labels.localized(obj.attribute_schema or {}, get_language())

    def _layer(self, obj: ComponentClass) -> Layer | None:
        layers = self.context.setdefault(
            "layers", {x.source: x for x in Layer.objects.filter(kind=LayerKind.COMPONENT)}
        )
        return layers.get(obj.code)

    def get_is_public(self, obj: ComponentClass) -> bool:
        layer = self._layer(obj)
        return bool(layer and layer.is_public and layer.active)

    def get_layer(self, obj: ComponentClass) -> str | None:
        layer = self._layer(obj)
        return layer.code if layer else None

    class Meta:
        model = ComponentClass
        fields = [
            "code",
            "major",
            "name_zh",
            "name_en",
            "geometry",
            "attribute_schema",
            "accuracy_threshold_m",
            "is_public",
            "layer",
            "is_local",
        ]


class HistorySerializer(serializers.ModelSerializer):
    """One history entry; who edited it as the viewer may see it (context ``editors``, a
    ``gis_app.history.EditorView``): user name and comment only for those who may change
    the component, otherwise the editor's role and organization."""

    changeset = serializers.IntegerField(source="changeset_id")
    actor = serializers.SerializerMethodField()
    actor_name = serializers.SerializerMethodField()
    actor_role = serializers.SerializerMethodField()
    comment = serializers.SerializerMethodField()

    def _editor(self, obj: ComponentHistory) -> dict[str, Any]:
        editors: EditorView = self.context["editors"]
        return editors.fields(obj.actor_id, obj.actor_username, obj.changeset.comment)

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, obj: ComponentHistory) -> str:
        return str(self._editor(obj)["actor"])

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor_name(self, obj: ComponentHistory) -> str:
        return str(self._editor(obj)["actor_name"])

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor_role(self, obj: ComponentHistory) -> str:
        return str(self._editor(obj)["actor_role"])

    @extend_schema_field({"type": "string", "nullable": True})
    def get_comment(self, obj: ComponentHistory) -> str | None:
        comment = self._editor(obj)["comment"]
        return None if comment is None else str(comment)

    class Meta:
        model = ComponentHistory
        fields = [
            "version",
            "action",
            "time",
            "actor",
            "actor_name",
            "actor_role",
            "changeset",
            "comment",
            "changes",
        ]
