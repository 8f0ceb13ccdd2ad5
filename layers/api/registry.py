"""The layer registry and stewardship through the REST API."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from gis_app import access, audit, params
from gis_app.audit import source_address
from gis_app.errors import InvalidInput, NotAuthenticated, PermissionDenied
from gis_app.models import Organization
from gis_app.roles import Action
from layers.models import AdminArea, Layer, StewardRole, Stewardship


class LayerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Layer
        fields = [
            "code",
            "kind",
            "source",
            "name_zh",
            "name_en",
            "description",
            "geometry_kind",
            "style",
            "min_zoom",
            "max_zoom",
            "update_interval_days",
            "is_public",
            "sort_order",
            "active",
        ]
        read_only_fields = ["code", "kind", "source", "geometry_kind"]

    def validate_style(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("style must be a JSON object."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low = attrs.get("min_zoom", getattr(self.instance, "min_zoom", 0))
        high = attrs.get("max_zoom", getattr(self.instance, "max_zoom", 22))
        if low > high or high > 24:
            raise serializers.ValidationError(
                {"max_zoom": _("zoom range must be 0 <= min <= max <= 24.")}
            )
        return attrs


class StewardshipSerializer(serializers.ModelSerializer):
    layer = serializers.SlugRelatedField(slug_field="code", queryset=Layer.objects.all())
    area = serializers.SlugRelatedField(slug_field="code", queryset=AdminArea.objects.all())
    organization = serializers.SlugRelatedField(
        slug_field="code", queryset=Organization.objects.all()
    )
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Stewardship
        fields = ["id", "layer", "area", "organization", "organization_name", "role", "note"]
        validators: list[Any] = []  # the duplicate check in create() names the field


def _require(request: Request, action_: Action, obj: Any = None) -> None:
    if not request.user.is_authenticated:
        raise NotAuthenticated()
    allowed = (
        access.can(request.user, action_, obj)
        if obj is not None
        else access.can_anywhere(request.user, action_)
    )
    if not allowed:
        audit.record(
            f"layers.{action_}",
            actor=request.user,
            result="denied",
            address=source_address(request._request),
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(getattr(obj, "pk", "")),
        )
        raise PermissionDenied()


class LayerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The layer registry: every map layer the caller may see; admins change names, style,
    zooms, update interval and public flag."""

    serializer_class = LayerSerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Layer]:
        return access.visible(self.request.user, Layer.objects.all())

    def perform_update(self, serializer: Any) -> None:
        _require(self.request, Action.MANAGE, serializer.instance)
        with transaction.atomic():
            before = LayerSerializer(serializer.instance).data
            layer = serializer.save()
            changes = {
                k: [before[k], v]
                for k, v in LayerSerializer(layer).data.items()
                if before.get(k) != v
            }
            audit.record(
                "layers.layer.update",
                actor=self.request.user,
                obj=layer,
                address=source_address(self.request._request),
                detail={"changes": changes},
            )

    @extend_schema(
        parameters=[OpenApiParameter("area", OpenApiTypes.STR, required=True)],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def steward(self, request: Request, code: str) -> Response:
        """The effective stewards (collection, maintenance) of this layer at an area: the
        closest stewardship up the area tree."""
        layer = self.get_object()
        area = params.digits(request.query_params, "area", (6, 9, 12))
        if not area:
            raise InvalidInput(_("Parameter area is required."), field="area")
        result = {}
        for role in StewardRole.values:
            found = Stewardship.objects.effective_for(layer.pk, area, role)
            result[role] = (
                None
                if found is None
                else {
                    "organization": found.organization.code,
                    "organization_name": found.organization.name,
                    "area": found.area_id,
                }
            )
        return Response({"layer": layer.code, "area": area, **result})


class StewardshipViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Who collects and maintains which layer where. Admins manage those inside their area."""

    serializer_class = StewardshipSerializer

    def get_queryset(self) -> QuerySet[Stewardship]:
        qs = access.visible(
            self.request.user, Stewardship.objects.select_related("layer", "area", "organization")
        )
        layer = self.request.query_params.get("layer")
        return qs.filter(layer__code=layer) if layer else qs

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = StewardshipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        candidate = Stewardship(**data.validated_data)
        _require(request, Action.MANAGE, candidate)
        with transaction.atomic():
            if Stewardship.objects.filter(
                layer=candidate.layer, area=candidate.area, role=candidate.role
            ).exists():
                raise InvalidInput(
                    _("This layer already has a steward for that role there."), field="role"
                )
            candidate.save()
            audit.record(
                "layers.stewardship.create",
                actor=request.user,
                obj=candidate,
                address=source_address(request._request),
            )
        return Response(StewardshipSerializer(candidate).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Stewardship) -> None:
        _require(self.request, Action.MANAGE, instance)
        with transaction.atomic():
            audit.record(
                "layers.stewardship.delete",
                actor=self.request.user,
                obj=instance,
                address=source_address(self.request._request),
                detail=StewardshipSerializer(instance).data,
            )
            instance.delete()
