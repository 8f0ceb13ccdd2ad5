from django.db import migrations


def seed(apps, schema_editor):
    from layers.registry import BASE_LAYERS

    layer = apps.get_model("layers", "Layer")
    for entry in BASE_LAYERS:
        values = dict(entry)
        code = values.pop("code")
        layer.objects.get_or_create(code=code, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("layers", "0002_layer_stewardship")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
