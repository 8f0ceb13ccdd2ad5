from rest_framework import serializers

from component_catalog.models import ComponentClass, ComponentHistory


class ComponentClassSerializer(serializers.ModelSerializer):
    major = serializers.CharField(source="major_id", allow_null=True, read_only=True)
    geometry = serializers.CharField(source="geometry_kind", read_only=True)

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
            "is_local",
        ]


class HistorySerializer(serializers.ModelSerializer):
    changeset = serializers.IntegerField(source="changeset_id")
    comment = serializers.CharField(source="changeset.comment")
    actor = serializers.CharField(source="actor_username")

    class Meta:
        model = ComponentHistory
        fields = ["version", "action", "time", "actor", "changeset", "comment", "changes"]
