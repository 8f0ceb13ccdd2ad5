from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from layers.models import AdminArea, GridCell


class AdminAreaSerializer(GeoFeatureModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = AdminArea
        geo_field = "boundary"
        id_field = "code"
        fields = ["code", "level", "name", "name_en", "parent", "is_public"]


class GridCellSerializer(GeoFeatureModelSerializer):
    community = serializers.CharField(source="community_id", read_only=True)

    class Meta:
        model = GridCell
        geo_field = "boundary"
        id_field = "code"
        fields = ["code", "name", "community"]


class AreaSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField(required=False)


class LocationSerializer(serializers.Serializer):
    city = AreaSummarySerializer(allow_null=True)
    district = AreaSummarySerializer(allow_null=True)
    street = AreaSummarySerializer(allow_null=True)
    community = AreaSummarySerializer(allow_null=True)
    grid = AreaSummarySerializer(allow_null=True)
