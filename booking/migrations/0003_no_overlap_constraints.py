"""On PostgreSQL the database itself refuses overlapping active bookings, for one therapist and
for one client: if a code path ever skipped booking_create's lock, the insert fails loudly
instead of double-booking. SQLite has no exclusion constraints; there booking_create's
transactions are serialised by BEGIN IMMEDIATE (settings.DATABASES OPTIONS)."""

from django.db import migrations

ACTIVE = "('pending', 'confirmed')"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE booking_booking ADD CONSTRAINT booking_therapist_no_overlap
        EXCLUDE USING gist (therapist_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status IN {ACTIVE})""",
    f"""ALTER TABLE booking_booking ADD CONSTRAINT booking_client_no_overlap
        EXCLUDE USING gist (client_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status IN {ACTIVE})""",
]
BACKWARD = [
    "ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS booking_client_no_overlap",
    "ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS booking_therapist_no_overlap",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("booking", "0002_visit_location")]

    operations = [migrations.RunPython(forward, backward)]
