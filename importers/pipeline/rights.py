"""Access in an import: the user's right to create each new row and to change each
component a row would update (the component policy's one write rule, ``WriteRules``),
asked once per distinct class, community and organizations; refused rows are reported
with the source field at fault and audited as one denied event per run."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from component_catalog.models import Component, Currency
from component_catalog.policies import Row, WriteRefusal, WriteRules
from gis_app import access, audit
from gis_app.models import AuditResult
from gis_app.roles import Action
from gis_app.types import User
from importers.mapping import Mapping
from importers.models import ImportJob
from importers.pipeline.options import SKIP, ImportOptions
from importers.pipeline.state import LIVE, BatchState


def _component(
    klass: str, community: str, owner: int, maintainer: int, currency: str, grid_cell: str | None
) -> Component:
    """An unsaved component carrying what access decisions look at."""
    return Component(
        component_class_id=klass,
        community_id=community,
        grid_cell_id=grid_cell,
        county_code=community[:6],
        owner_id=owner,
        maintainer_id=maintainer,
        currency=currency,
    )


class Rights:
    """The access decisions of one run, cached, and the refusals counted for the audit."""

    def __init__(self, user: User | None, mapping: Mapping, options: ImportOptions) -> None:
        # a job whose account was deleted acts as nobody: it may do nothing
        self.user: User = user if user is not None else AnonymousUser()
        self.mapping = mapping
        self.on_duplicate = options.on_duplicate
        self.dry_run = options.dry_run
        self.address = options.address
        self.access_cache: dict[tuple[Any, ...], bool] = {}
        self.write_rules = WriteRules(self.user)
        # rows the write rule refused, by action and the field at fault
        self.denied: Counter[tuple[str, str]] = Counter()

    def can(
        self,
        action: Action,
        klass: str,
        community: str,
        owner: int,
        maintainer: int,
        currency: str = Currency.IN_USE,
        grid_cell: str | None = None,
    ) -> bool:
        """``access.can`` for a component with these properties (the only ones access
        decisions look at), asked once per distinct combination."""
        key = (action, klass, community, owner, maintainer, currency, grid_cell)
        allowed = self.access_cache.get(key)
        if allowed is None:
            component = _component(klass, community, owner, maintainer, currency, grid_cell)
            allowed = access.can(self.user, action, component)
            self.access_cache[key] = allowed
        return allowed

    def _source_of(self, target: str) -> str:
        """The source field a refused target came from (the target itself when the
        mapping gives a fixed value)."""
        if target == "class":
            return self.mapping.class_field or target
        source = getattr(self.mapping, target, None)
        return (source.field if source is not None else None) or target

    def _refuse(self, st: BatchState, i: int, action: str, refusal: WriteRefusal) -> None:
        target = (refusal.field or "row").removeprefix("properties.")
        st.fail(i, self._source_of(target), refusal.message, target)
        self.denied[action, refusal.field or "row"] += 1

    def check(self, st: BatchState, ok: np.ndarray) -> None:
        """The user's right to create each new row and to change what each matched row
        would update: the one write rule of the component policy (``WriteRules``, which
        answers once per distinct class, community and organizations)."""
        new = ok[[i not in st.target for i in ok.tolist()]] if st.target else ok
        self._check_creations(st, new)
        if self.on_duplicate != SKIP:  # else nothing is written to the matched components
            self._check_changes(st)

    def _check_creations(self, st: BatchState, new: np.ndarray) -> None:
        """The rows ``new`` (matching no component): the right to create them as mapped."""
        values = st.values
        rules = self.write_rules
        for i, klass, community, cell in zip(
            new.tolist(),
            st.classes[new].tolist(),
            st.community[new].tolist(),
            st.grid[new].tolist(),
            strict=True,
        ):
            orgs = values[i].organizations
            wanted = Row(
                klass,
                community,
                orgs["competent_department"],
                orgs["owner"],
                orgs["maintainer"],
                grid_cell=cell,
            )
            refusal = rules.refusal(Action.CREATE, wanted)
            if refusal is not None:
                self._refuse(st, i, "create", refusal)

    def _check_changes(self, st: BatchState) -> None:
        """The live rows matching a component: the right to change it, and to change it
        into what the row maps to."""
        values = st.values
        rules = self.write_rules
        for i, e in sorted(st.target.items()):
            if st.outcome[i] != LIVE:
                continue
            v = values[i]
            orgs = v.organizations
            current = (e.class_code, e.community_id, e.owner_id, e.maintainer_id, e.currency)
            if not self.can(Action.CHANGE, *current, grid_cell=e.grid_cell_id):
                st.fail(
                    i,
                    "row",
                    _("The row would update component %(id)s, which you may not change.")
                    % {"id": e.identifier},
                )
                self.denied["update", "row"] += 1
                continue
            before = Row(
                e.class_code,
                e.community_id,
                e.competent_department_id,
                e.owner_id,
                e.maintainer_id,
                e.currency,
                e.grid_cell_id,
            )
            wanted = Row(
                v.class_code or "",
                st.community[i],
                orgs["competent_department"],
                orgs["owner"],
                orgs["maintainer"],
                e.currency,
                st.grid[i],
            )
            refusal = rules.refusal(Action.CHANGE, wanted, before)
            if refusal is not None:
                self._refuse(st, i, "update", refusal)

    def audit_denied(self, job: ImportJob) -> None:
        """One denied audit event per run for the rows the write rule refused (as the API
        records each refused create or update)."""
        for action in ("create", "update"):
            fields = {f: n for (a, f), n in self.denied.items() if a == action}
            if not fields:
                continue
            audit.record(
                f"component.{action}",
                actor=self.user,
                obj=job,
                result=AuditResult.DENIED,
                address=self.address,
                detail={
                    "reason": "permission_denied",
                    "rows": sum(fields.values()),
                    "fields": fields,
                    "dry_run": self.dry_run,
                },
            )
