from rest_framework import serializers

from gis_app.models import Organization


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class OrganizationSerializer(serializers.ModelSerializer):
    area = serializers.CharField(source="area_id", allow_null=True, read_only=True)

    class Meta:
        model = Organization
        fields = ["code", "name", "name_en", "kind", "area"]
