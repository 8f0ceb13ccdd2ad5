"""Store the English labels of the catalog's attributes and choices with the schemas
(``x-i18n`` annotations, see ``component_catalog/catalog_labels.py``). Stored values and
validation are unchanged; a schema an administrator edited keeps its own text, and only
properties whose Chinese title or choices the tables know are annotated."""

from django.db import migrations


def annotate(apps, schema_editor):
    from component_catalog import catalog_labels

    model = apps.get_model("component_catalog", "ComponentClass")
    for klass in model.objects.exclude(attribute_schema={}):
        annotated = catalog_labels.annotate(klass.attribute_schema or {})
        if annotated != klass.attribute_schema:
            klass.attribute_schema = annotated
            klass.save(update_fields=["attribute_schema"])


def remove(apps, schema_editor):
    model = apps.get_model("component_catalog", "ComponentClass")

    def strip(node):
        if isinstance(node, dict):
            node.pop("x-i18n", None)
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    for klass in model.objects.exclude(attribute_schema={}):
        strip(klass.attribute_schema)
        klass.save(update_fields=["attribute_schema"])


class Migration(migrations.Migration):
    dependencies = [("component_catalog", "0013_class_geometry_limits")]

    operations = [migrations.RunPython(annotate, remove)]
