from rest_framework import serializers

from component_catalog.models import ComponentClass, ComponentHistory
from layers.models import Layer, LayerKind


class ComponentClassSerializer(serializers.ModelSerializer):
    major = serializers.CharField(source="major_id", allow_null=True, read_only=True)
    geometry = serializers.CharField(source="geometry_kind", read_only=True)
    is_public = serializers.SerializerMethodField()
    layer = serializers.SerializerMethodField()

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
    changeset = serializers.IntegerField(source="changeset_id")
    comment = serializers.CharField(source="changeset.comment")
    actor = serializers.CharField(source="actor_username")

    class Meta:
        model = ComponentHistory
        fields = ["version", "action", "time", "actor", "changeset", "comment", "changes"]
