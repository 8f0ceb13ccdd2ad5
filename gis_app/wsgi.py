import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
django_application = get_wsgi_application()

# Anonymous vector-tile GETs take a shorter way through Django (tiles.fastpath); the
# import needs the apps loaded, so it follows get_wsgi_application().
from tiles.fastpath import TileFastPath  # noqa: E402

application = TileFastPath(django_application)
