"""What the import commands share: the file to read and the user an import is recorded and
access-checked for."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from gis_app.types import User


def existing_file(value: str, option: str = "") -> Path:
    """``value`` as a path to a file, or a CommandError naming the option."""
    path = Path(value)
    if not path.is_file():
        raise CommandError(f"{option + ' ' if option else ''}{path}: no such file")
    return path


def attributable_user(username: str | None) -> User:
    """The active user named by --user; imports are never anonymous."""
    if not username:
        raise CommandError(
            "Imports are attributable: give --user USERNAME (the account the import is "
            "recorded and access-checked for)."
        )
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"--user {username}: no active user of that name")
    return user
