"""Test settings: the same PostGIS as development, fast password hashing, a private media
directory, and a test database name that parallel runs can change (TEST_DB_NAME)."""

import os
import tempfile
from pathlib import Path

from gis_app.settings import *  # noqa: F403
from gis_app.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="gis-test-media-"))
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DB_NAME", "test_gis")}
# The live test server serves static files straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = True
