"""The tile cache table is UNLOGGED: no WAL for cached tiles (a crash empties the table,
and every tile is then simply rendered again; the generations that decide validity stay
in the logged ``tiles_tilegeneration``). Also not replicated, which suits a cache that
each primary fills for itself."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tiles", "0003_registry_state")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE tiles_tilecacheentry SET UNLOGGED",
            "ALTER TABLE tiles_tilecacheentry SET LOGGED",
        )
    ]
