"""Load the component-class catalog (facts from the digital urban-management classification,
kept in ``component_catalog/catalog_data.py``)."""

from django.db import migrations


def load(apps, schema_editor):
    from component_catalog import catalog_data

    model = apps.get_model("component_catalog", "ComponentClass")
    for major in catalog_data.MAJOR_CLASSES:
        model.objects.update_or_create(
            code=major["code"],
            defaults={"name_zh": major["name_zh"], "name_en": major["name_en"], "major": None},
        )
    for row in catalog_data.CLASSES:
        model.objects.update_or_create(
            code=row["code"],
            defaults={
                "major_id": row["major"],
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "geometry_kind": row["geometry"],
                "attribute_schema": row["attributes"],
                "accuracy_threshold_m": row["accuracy_m"],
                "is_public": row["public"],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("component_catalog", "0002_geometry_kind_trigger_and_indexes")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
