"""The demo data set: areas, organizations and the demo accounts of the README.

Idempotent: every object is created or updated by its natural key, so running
``load_demo`` again changes nothing (or repairs what was edited).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from gis_app import audit
from gis_app.models import Membership, Organization, OrganizationKind
from gis_app.roles import Role
from layers import demo_geometry
from layers.models import SRID, AdminArea, GridCell

DISTRICT = "330106"
FIRST_STREET = DISTRICT + "001"
FIRST_COMMUNITY = FIRST_STREET + "001"

ORGANIZATIONS = [
    # code, name, English name, kind, home area
    ("HZ-CGJ", "杭州市城市管理局", "Hangzhou Urban Management Bureau", "government", "330100"),
    ("XH-CGJ", "西湖区城市管理局", "Xihu District Urban Management Bureau", "government", DISTRICT),
    (
        "XH-RFB",
        "西湖区人民防空办公室",
        "Xihu District Civil Air Defence Office",
        "government",
        DISTRICT,
    ),
    ("XH-YLJ", "西湖区园林绿化局", "Xihu District Landscaping Bureau", "government", DISTRICT),
    ("HZ-SW", "杭州水务集团有限公司", "Hangzhou Water Group", "utility", "330100"),
    ("HZ-RQ", "杭州市燃气集团有限公司", "Hangzhou Gas Group", "utility", "330100"),
    ("HZ-GD", "国网杭州供电公司", "State Grid Hangzhou Power Supply", "utility", "330100"),
    ("HZ-DX", "中国电信杭州分公司", "China Telecom Hangzhou", "utility", "330100"),
    (
        "XH-LCWY",
        "杭州绿城物业服务集团西湖分公司",
        "Lücheng Property Services (Xihu)",
        "property_management",
        DISTRICT,
    ),
    (
        "XH-SG-ZYZ",
        "西湖区社区志愿者协会",
        "Xihu Community Volunteers Association",
        "social",
        DISTRICT,
    ),
    (
        "HZ-CDFW",
        "杭州城市停车服务有限公司",
        "Hangzhou City Parking Services",
        "service_provider",
        "330100",
    ),
]
STREET_OFFICE_PREFIX = "XH-JD-"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    organization: str
    role: str
    area: str
    class_codes: tuple[str, ...] = ()
    staff: bool = False


ACCOUNTS = [
    DemoAccount("city_admin", "城市管理员", "HZ-CGJ", Role.CITY_ADMIN, "330100", staff=True),
    DemoAccount(
        "district_admin", "西湖区管理员", "XH-CGJ", Role.DISTRICT_ADMIN, DISTRICT, staff=True
    ),
    DemoAccount(
        "street_admin",
        "北山街道管理员",
        STREET_OFFICE_PREFIX + "001",
        Role.STREET_ADMIN,
        FIRST_STREET,
        staff=True,
    ),
    DemoAccount(
        "community_worker",
        "保俶社区工作者",
        STREET_OFFICE_PREFIX + "001",
        Role.COMMUNITY_WORKER,
        FIRST_COMMUNITY,
    ),
    # Utility surveyors: the whole district, their own classes only.
    DemoAccount(
        "surveyor_water",
        "水务普查员",
        "HZ-SW",
        Role.SURVEYOR,
        DISTRICT,
        ("0101", "0102", "0103", "0104", "0113"),
    ),
    DemoAccount(
        "surveyor_green",
        "园林普查员",
        "XH-YLJ",
        Role.SURVEYOR,
        DISTRICT,
        ("0401", "0402", "0403", "0404", "0405", "0406", "0407", "0409"),
    ),
    DemoAccount("planner", "西湖区规划人员", "XH-CGJ", Role.PLANNER, DISTRICT),
    DemoAccount("auditor", "审计员", "HZ-CGJ", Role.AUDITOR, "330100", staff=True),
]


def _load_areas() -> int:
    count = 0
    for area in demo_geometry.generate(DISTRICT):
        AdminArea.objects.update_or_create(
            code=area.code,
            defaults={
                "level": area.level,
                "name": area.name,
                "name_en": area.name_en,
                "parent_id": area.parent,
                "boundary": GEOSGeometry(memoryview(area.boundary.wkb), srid=SRID),
                "is_public": area.is_public,
            },
        )
        count += 1
        for code, name, shape in area.grids:
            GridCell.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "community_id": area.code,
                    "boundary": GEOSGeometry(memoryview(shape.wkb), srid=SRID),
                },
            )
            count += 1
    return count


def _load_organizations() -> None:
    for code, name, name_en, kind, area in ORGANIZATIONS:
        Organization.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "kind": kind, "area_id": area}
        )
    for suffix, name, name_en in demo_geometry.STREETS:
        Organization.objects.update_or_create(
            code=STREET_OFFICE_PREFIX + suffix,
            defaults={
                "name": f"{name}办事处",
                "name_en": f"{name_en} Office",
                "kind": OrganizationKind.GOVERNMENT,
                "area_id": DISTRICT + suffix,
            },
        )


def _load_accounts(password: str) -> None:
    user_model = get_user_model()
    for account in ACCOUNTS:
        user, _ = user_model.objects.get_or_create(username=account.username)
        user.first_name = account.full_name
        user.is_staff = account.staff
        user.is_active = True
        if not user.check_password(password):
            user.set_password(password)
        user.save()
        organization = Organization.objects.get(code=account.organization)
        membership, _ = Membership.objects.get_or_create(
            user=user, organization=organization, role=account.role, area_id=account.area
        )
        membership.class_codes = list(account.class_codes)
        membership.active = True
        membership.full_clean()
        membership.save()


@transaction.atomic
def load(password: str | None = None) -> dict[str, int]:
    """Create or update the demo data set; returns counts for the command's summary."""
    areas = _load_areas()
    _load_organizations()
    _load_accounts(password or settings.DEMO_PASSWORD)
    audit.record("demo.load", detail={"areas": areas})
    return {
        "areas": areas,
        "organizations": Organization.objects.count(),
        "accounts": len(ACCOUNTS),
    }
