"""One map layer per component class in the layer registry; the registry's public flag now
decides who sees a class's components (the class keeps it only as the default)."""

from django.db import migrations, models


def seed(apps, schema_editor):
    klass = apps.get_model("component_catalog", "ComponentClass")
    layer = apps.get_model("layers", "Layer")
    for row in klass.objects.exclude(geometry_kind=""):
        layer.objects.get_or_create(
            kind="component",
            source=row.code,
            defaults={
                "code": f"component-{row.code}",
                "name_zh": row.name_zh,
                "name_en": row.name_en,
                "geometry_kind": row.geometry_kind,
                "is_public": row.default_public,
                "min_zoom": 15 if row.geometry_kind == "point" else 13,
                "update_interval_days": 365,
                "sort_order": 100 + int(row.code),
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("component_catalog", "0003_load_catalog"),
        ("layers", "0003_base_layers"),
    ]

    operations = [
        migrations.RenameField("componentclass", "is_public", "default_public"),
        migrations.AlterField(
            model_name="componentclass",
            name="default_public",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Whether the class's map layer starts public; the layer registry decides after."
                ),
                verbose_name="public by default",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
