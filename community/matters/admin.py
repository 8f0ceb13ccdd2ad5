"""Admin pages of the matters app (autodiscovered): the Open311 client applications."""

from community.matters.open311 import admin  # noqa: F401
