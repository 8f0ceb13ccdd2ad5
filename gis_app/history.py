"""Who changed an object, as shown to whoever reads its history.

Users who may change the object themselves (and auditors, who read the audit log anyway)
see the editor's user name, their full name and the changeset comment. Everyone else (the
public, residents, staff of other areas or classes) sees the editor's role and organization
instead, and no comment: user names are half of a login, and comments are internal notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from gis_app import access
from gis_app.models import Membership
from gis_app.roles import Action, Role
from gis_app.types import User


def sees_editors(user: User, obj: Any) -> bool:
    """May ``user`` see who edited ``obj`` (user names) and why (comments)?"""
    return access.can(user, Action.CHANGE, obj) or access.can_anywhere(user, Action.VIEW_AUDIT)


def editor_labels(user_ids: Iterable[int | None]) -> dict[int, str]:
    """For each user id, the roles and organizations of their memberships, e.g.
    ``测绘员 · 杭州水务集团有限公司`` (current memberships first, then past ones)."""
    ids = {i for i in user_ids if i is not None}
    rows = (
        Membership.objects.filter(user_id__in=ids)
        .order_by("user_id", "-active", "id")
        .values_list("user_id", "role", "organization__name")
    )
    labels: dict[int, list[str]] = {}
    for user_id, role, organization in rows:
        text = f"{Role(role).label if role in Role.values else role} · {organization}"
        if text not in labels.setdefault(user_id, []):
            labels[user_id].append(text)
    return {user_id: "; ".join(texts) for user_id, texts in labels.items()}


def display_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    """For each user id, the person's full name (the login where no name is recorded)."""
    ids = {i for i in user_ids if i is not None}
    users = get_user_model().objects.filter(pk__in=ids)
    return {u.pk: (u.get_full_name().strip() or u.get_username()) for u in users}


class EditorView:
    """How one viewer sees the editors of one object's history."""

    def __init__(self, viewer: User, obj: Any, actor_ids: Iterable[int | None]) -> None:
        ids = list(actor_ids)
        self.insider = sees_editors(viewer, obj)
        self.labels = editor_labels(ids)
        self.names = display_names(ids) if self.insider else {}

    def fields(self, actor_id: int | None, actor_username: str, comment: str) -> dict[str, Any]:
        """``actor`` (a user name for insiders, else the role and organization),
        ``actor_name`` (the person's full name for insiders, else the role and
        organization: what a page shows), ``actor_role`` (role and organization, for
        everyone) and ``comment`` (None for outsiders)."""
        if actor_id is None and not actor_username:
            role = _("System")
        else:
            role = self.labels.get(actor_id or 0) or _("Platform staff")
        name = self.names.get(actor_id or 0) or actor_username or role
        return {
            "actor": actor_username if self.insider else role,
            "actor_name": name if self.insider else role,
            "actor_role": role,
            "comment": comment if self.insider else None,
        }
