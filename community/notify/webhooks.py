"""Signed webhook calls to other platforms.

Each call is an HTTP POST of a JSON body (UTF-8) with these headers:

* ``X-Notify-Event``: the notification kind; ``X-Notify-Delivery``: the delivery's id (the
  same on every retry, so a receiver can drop a duplicate);
* ``X-Notify-Timestamp``: Unix time in seconds when this attempt was signed;
* ``X-Notify-Signature``: ``sha256=`` + hex HMAC-SHA256 under the subscription's secret of
  ``timestamp + "." + body`` (the exact bytes received).

A receiver recomputes the HMAC over the raw body, compares in constant time (``verify``
does it) and refuses a timestamp far from its clock, so a captured call cannot be replayed
later. Redirects are not followed; any 2xx answer is success."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings

SIGNATURE_PREFIX: Final = "sha256="
USER_AGENT: Final = "smart-community-notify/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Notify-Signature`` value of ``body`` signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signed: str, window_s: int = 300) -> bool:
    """For receivers: is ``signed`` this body's signature, made within ``window_s``?"""
    try:
        fresh = abs(time.time() - int(timestamp)) <= window_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), signed)


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is an answer, not a place to send the secret's signature to


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, secret: str, kind: str, delivery_id: int, body: bytes) -> Outcome:
    """POST ``body`` signed now; the outcome (never raises for network or HTTP errors)."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (the URL is validated as http/https)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Notify-Event": kind,
            "X-Notify-Delivery": str(delivery_id),
            "X-Notify-Timestamp": timestamp,
            "X-Notify-Signature": signature(secret, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=settings.NOTIFY_WEBHOOK_TIMEOUT) as response:
            code = response.status
    except urllib.error.HTTPError as exc:
        return Outcome(False, exc.code, f"HTTP {exc.code} {exc.reason}"[:500])
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Outcome(False, None, f"{type(exc).__name__}: {reason}"[:500])
    if 200 <= code < 300:
        return Outcome(True, code, "")
    return Outcome(False, code, f"HTTP {code}")
