"""The periodic tasks, as rows of django-celery-beat: beat reads its schedule from here, and
staff can change it in admin without a restart undoing it. Created once; a row staff edited or
disabled is left as it is."""

from django.db import migrations

# (name, task, every, period)
SCHEDULE = [
    ("dispatch-outbox", "core.tasks.dispatch_outbox", 1, "minutes"),
    ("dispatch-due-reminders", "aftercare.tasks.dispatch_due_reminders", 1, "minutes"),
    ("expire-pending-bookings", "booking.tasks.expire_pending_bookings", 5, "minutes"),
    ("nudge-for-notes", "aftercare.tasks.nudge_for_notes", 1, "hours"),
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
        ("core", "0001_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
