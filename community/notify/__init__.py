"""Notifications (app label ``notify``): an inbox per user, email, signed webhooks.

The one entry point is :func:`send` (``community.notify.services.send``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from community.notify.services import send as send
else:

    def send(*args: Any, **kwargs: Any) -> Any:
        """``services.send`` (imported when called: this package loads before the models)."""
        from community.notify.services import send as _send

        return _send(*args, **kwargs)
