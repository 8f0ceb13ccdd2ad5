"""The report of an area import: one entry per feature (its rows, codes, what happens to
it and why), warnings about the level as a whole (gaps), and how many components,
buildings ... moved to another community or grid cell."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
REFUSED = "refused"

STANDARD = "standard"  # the file's code is a standard code
BY_NAME = "by_name"  # matched by name in the reference list of divisions
BY_FILE = "by_file"  # from the user's code map
REUSED = "reused"  # the code an earlier import gave this source code
GENERATED = "generated"  # a new code in the level's generated range


@dataclass
class Problem:
    """Why a feature is refused (or, for warnings, what looks wrong): a stable ``kind``,
    the translated text, and the figures behind it."""

    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class FeatureReport:
    rows: list[int]
    source_code: str
    name: str
    code: str = ""
    parent: str = ""
    mapping: str = STANDARD
    status: str = CREATE
    area_m2: float = 0.0
    errors: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def refuse(self, kind: str, text: str, **data: Any) -> None:
        self.errors.append(Problem(kind, text, data))
        self.status = REFUSED

    def label(self) -> str:
        """How the report names the feature: its row(s), its code in the file and name."""
        rows = ", ".join(str(r) for r in self.rows)
        return _("row %(rows)s, code %(code)s, %(name)s") % {
            "rows": rows,
            "code": self.source_code or "-",
            "name": self.name or "-",
        }


@dataclass
class AreaImportReport:
    level: str
    dry_run: bool
    features: list[FeatureReport] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)  # about the import as a whole
    moved: dict[str, int] = field(default_factory=dict)  # registered kind -> rows moved
    stored: bool = False
    seconds: float = 0.0

    @property
    def refused(self) -> list[FeatureReport]:
        return [f for f in self.features if f.refused]

    @property
    def ok(self) -> bool:
        """True when nothing was refused (the import is, or in a dry run would be, stored)."""
        return not self.errors and not self.refused

    def count(self, status: str) -> int:
        return sum(1 for f in self.features if f.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "features": len(self.features),
            "rows": sum(len(f.rows) for f in self.features),
            CREATE: self.count(CREATE),
            UPDATE: self.count(UPDATE),
            UNCHANGED: self.count(UNCHANGED),
            REFUSED: self.count(REFUSED),
            **{f"mapping_{m}": sum(1 for f in self.features if f.mapping == m) for m in _MAPS},
        }

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = self.counts
        data["ok"] = self.ok
        return data

    def lines(self) -> list[str]:
        """The report as text, one line per feature and per problem (for the command)."""
        status_text = {
            CREATE: _("new") if self.dry_run else _("created"),
            UPDATE: _("to update") if self.dry_run else _("updated"),
            UNCHANGED: _("unchanged"),
            REFUSED: _("REFUSED"),
        }
        mapping_text = {
            STANDARD: "",
            BY_NAME: _("code mapped by name"),
            BY_FILE: _("code mapped by the code map"),
            REUSED: _("code kept from an earlier import"),
            GENERATED: _("code generated"),
        }
        out: list[str] = []
        for problem in self.errors:
            out.append(_("ERROR: %(text)s") % {"text": problem.text})
        for feature in self.features:
            head = f"{feature.label()}: {status_text[feature.status]}"
            if feature.code:
                head += f" -> {feature.code}"
                how = mapping_text.get(feature.mapping, "")
                if how:
                    head += f" ({how})"
            out.append(head)
            out.extend(f"    {note}" for note in feature.notes)
            out.extend(f"    - {problem.text}" for problem in feature.errors)
        for warning in self.warnings:
            out.append(_("warning: %(text)s") % {"text": warning.text})
        for kind, moved in sorted(self.moved.items()):
            out.append(_("re-derived %(kind)s: %(n)d moved") % {"kind": kind, "n": moved})
        counts = self.counts
        summary = _(
            "%(level)s: %(features)d features from %(rows)d rows; %(create)d new, "
            "%(update)d updated, %(unchanged)d unchanged, %(refused)d refused."
        ) % {**counts, "level": level_label(self.level)}
        if self.dry_run:
            summary += " " + _("Dry run: nothing was stored.")
        elif not self.stored:
            summary += " " + _("Nothing was stored.")
        out.append(summary)
        return out


_MAPS = (STANDARD, BY_NAME, BY_FILE, REUSED, GENERATED)


def level_label(level: str) -> str:
    """The level's name in the active language."""
    labels = {
        "city": _("city"),
        "district": _("district"),
        "street": _("street"),
        "community": _("community"),
        "grid": _("grid cell"),
    }
    return labels.get(level, level)
