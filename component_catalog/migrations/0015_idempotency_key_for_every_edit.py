"""Idempotency keys for every edit, not only creations: the operation, the status and the
answer are remembered so a replay gets the original answer."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("component_catalog", "0014_schema_translations"),
    ]

    operations = [
        migrations.RenameModel("CreationKey", "IdempotencyKey"),
        migrations.AddField(
            model_name="idempotencykey",
            name="operation",
            field=models.CharField(
                choices=[
                    ("create", "Create"),
                    ("update", "Update"),
                    ("retire", "Retire"),
                    ("delete", "Delete"),
                ],
                default="create",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="idempotencykey",
            name="status",
            field=models.PositiveSmallIntegerField(default=201),
        ),
        migrations.AddField(
            model_name="idempotencykey",
            name="response",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
