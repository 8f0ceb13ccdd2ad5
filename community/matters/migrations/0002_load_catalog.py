"""The flows and the event-class catalog: the 35 classes of the shared catalog file and
damaged / missing / occupied per component class (``community.matters.loader``)."""

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    from community.matters import loader

    loader.load(apps)


class Migration(migrations.Migration):
    dependencies = [("matters", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
