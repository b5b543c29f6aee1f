"""Beat's schedule lives in the database (core/0002_beat_schedule): add payments' reconcile, every
five minutes. Created once; a row staff edited or disabled is left as it is."""

from django.db import migrations

SCHEDULE = [
    ("reconcile-payments", "payments.tasks.reconcile_payments", 5, "minutes"),
]


def install(apps, schema_editor):
    interval = apps.get_model("django_celery_beat", "IntervalSchedule")
    task = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, path, every, period in SCHEDULE:
        schedule, _ = interval.objects.get_or_create(every=every, period=period)
        task.objects.get_or_create(name=name, defaults={"task": path, "interval": schedule})


def uninstall(apps, schema_editor):
    task = apps.get_model("django_celery_beat", "PeriodicTask")
    task.objects.filter(name__in=[name for name, *_ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_payments"),
        ("core", "0002_beat_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
