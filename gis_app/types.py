"""Type aliases shared by the apps."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser

# Whoever a request or a command acts for: a signed-in account or the anonymous visitor.
# The access module caches grants on the object (``access.grants``).
User: TypeAlias = AuthUser | AnonymousUser
