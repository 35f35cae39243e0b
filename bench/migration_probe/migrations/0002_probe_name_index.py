from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("migration_probe", "0001_initial")]
    operations = [
        migrations.AddIndex(model_name="probe", index=models.Index(fields=["name"], name="probe_name")),
    ]
