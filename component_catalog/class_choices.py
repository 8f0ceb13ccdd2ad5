"""The catalog's minor classes as grouped choices ("0101 上水井盖" under "01 市政公用"), in the
active language: what a grant's class scope is picked from."""

from __future__ import annotations

from django.utils.translation import get_language

from component_catalog.models import ComponentClass
from gis_app.class_scope import GroupedChoices


def _name(klass: ComponentClass, english: bool) -> str:
    return f"{klass.code} {(english and klass.name_en) or klass.name_zh}"


def grouped_choices() -> GroupedChoices:
    """Minor classes grouped under their major class, both in code order (retired classes
    too: a grant may still name one)."""
    english = (get_language() or "").startswith("en")
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    minors = (
        ComponentClass.objects.filter(major__isnull=False).select_related("major").order_by("code")
    )
    for klass in minors:
        major = klass.major
        assert major is not None
        label, options = groups.setdefault(major.code, (_name(major, english), []))
        options.append((klass.code, _name(klass, english)))
    return [groups[code] for code in sorted(groups)]
