"""The staff roles "Support" and "Operations lead" (backoffice.roles)."""

from typing import Any

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from backoffice.roles import roles_sync


def create_roles(apps: Apps, schema_editor: Any) -> None:
    # On a fresh database the permissions are only written after the whole migrate run
    # (post_migrate): write them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_audit_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("therapists", "0004_approval_suspended"),
        ("clients", "0003_care_preferences_and_consents"),
        ("booking", "0005_clearance_workflow"),
        ("aftercare", "0004_feedback_follow_up"),
        ("payments", "0002_reconcile_schedule"),
        ("core", "0002_beat_schedule"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
