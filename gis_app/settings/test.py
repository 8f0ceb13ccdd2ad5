"""Test settings: the same PostGIS as development, fast password hashing."""

from gis_app.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False

import tempfile  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="gis-test-media-"))  # noqa: F405
