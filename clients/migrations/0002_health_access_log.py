import django.db.models.deletion
from django.db import migrations, models


def fill_client(apps, schema_editor):
    log = apps.get_model("clients", "IntakeAccessLog")
    for row in log.objects.filter(client__isnull=True).select_related("intake"):
        row.client_id = row.intake.client_id
        row.save(update_fields=["client"])


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="intakeaccesslog",
            name="client",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="health_access_log",
                to="clients.clientprofile",
            ),
        ),
        migrations.AddField(
            model_name="intakeaccesslog",
            name="record",
            field=models.CharField(
                choices=[
                    ("intake", "Health intake and care flags"),
                    ("notes", "Session notes"),
                    ("feedback", "Feedback after visits"),
                    ("progress", "Progress charts"),
                    ("contact", "Phone and emergency contact"),
                ],
                default="intake",
                max_length=16,
                verbose_name="what",
            ),
        ),
        migrations.AlterField(
            model_name="intakeaccesslog",
            name="intake",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="access_log",
                to="clients.intake",
            ),
        ),
        migrations.RunPython(fill_client, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="intakeaccesslog",
            name="client",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="health_access_log",
                to="clients.clientprofile",
            ),
        ),
        migrations.AlterModelOptions(
            name="intakeaccesslog",
            options={
                "ordering": ["-viewed_at"],
                "verbose_name": "health data view",
                "verbose_name_plural": "health data access log",
            },
        ),
        migrations.AddIndex(
            model_name="intakeaccesslog",
            index=models.Index(fields=["client", "-viewed_at"], name="accesslog_client_recent"),
        ),
    ]
