from django.db import migrations

from therapists.modalities import ensure_modalities


def create(apps, schema_editor):
    ensure_modalities(apps.get_model("therapists", "Modality"))


class Migration(migrations.Migration):
    dependencies = [("therapists", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
