import os
import time

from django.db import migrations, models


def slow_on_the_template(apps, schema_editor):
    """DEPLOY_PROBE_TEMPLATE_SECONDS makes the template's migration last that long (a sign-up must wait)."""
    if schema_editor.connection.schema_name == "tenant_template":
        time.sleep(float(os.environ.get("DEPLOY_PROBE_TEMPLATE_SECONDS") or 0))


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="DeployProbe",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=40)),
            ],
        ),
        migrations.RunPython(slow_on_the_template, migrations.RunPython.noop),
    ]
