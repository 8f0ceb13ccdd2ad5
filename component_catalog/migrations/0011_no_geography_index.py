"""Drop the geography GiST index of components: nearest-neighbour search and distance
filters find their candidates through the Web Mercator index (``geom_3857``) and test them
exactly on the spheroid (``component_catalog.sql.knn_order``, ``near_3857``). Of the
components' indexes it was the dearest to build (no sorted build for geography: ~5 s per
million rows, a quarter of an import partition's index builds) and to maintain."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("component_catalog", "0010_bulk_creation")]

    operations = [
        migrations.RunSQL(
            "DROP INDEX IF EXISTS component_geography_gist",
            "CREATE INDEX component_geography_gist ON component_catalog_component "
            "USING gist ((geometry::geography))",
        )
    ]
