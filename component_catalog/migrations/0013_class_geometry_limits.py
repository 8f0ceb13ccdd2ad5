"""Size limits of a component class's geometries (issue 15): the maximum geodesic area and
vertex count, checked by the API and the importer, editable per class in the admin."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("component_catalog", "0012_registry_numeric_identifier"),
    ]

    operations = [
        migrations.AddField(
            model_name="componentclass",
            name="max_area_m2",
            field=models.FloatField(
                default=1000000.0,
                help_text="A polygon of this class with a larger (geodesic) area is refused: API, imports.",
                validators=[django.core.validators.MinValueValidator(1.0)],
                verbose_name="maximum area (m²)",
            ),
        ),
        migrations.AddField(
            model_name="componentclass",
            name="max_vertices",
            field=models.PositiveIntegerField(
                default=5000,
                help_text="A line or polygon of this class with more vertices is refused.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(100000),
                ],
                verbose_name="maximum vertices",
            ),
        ),
    ]
