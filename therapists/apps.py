from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_modalities(sender: AppConfig, **kwargs: Any) -> None:
    # The data migration creates the four modalities once; this brings them back after a
    # database flush (transactional tests do one), as Django does for content types.
    from django.db import connections

    from therapists.modalities import ensure_modalities

    # migrate passes the historical apps; flush passes none.
    apps = kwargs.get("apps", sender.apps)
    assert apps is not None  # an app config gets its registry when the registry is populated
    try:
        modality = apps.get_model("therapists", "Modality")
    except LookupError:  # migrating backwards past the model
        return
    connection = connections[kwargs.get("using", "default")]
    if modality._meta.db_table in connection.introspection.table_names():
        ensure_modalities(modality)


class TherapistsConfig(AppConfig):
    name = "therapists"
    verbose_name = "Therapists"

    def ready(self) -> None:
        post_migrate.connect(_ensure_modalities, sender=self)
        from therapists import availability

        availability.connect()
