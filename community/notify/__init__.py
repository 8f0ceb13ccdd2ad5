"""Notifications (app label ``notify``): an inbox per user, email, signed webhooks.

The one entry point is :func:`send` (``community.notify.services.send``)."""

from __future__ import annotations

from typing import Any


def send(*args: Any, **kwargs: Any) -> Any:
    """``services.send`` (imported when called: this package loads before the apps)."""
    from community.notify.services import send as _send

    return _send(*args, **kwargs)
