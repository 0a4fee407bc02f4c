"""The GIN index behind gig search, on PostgreSQL only.

SQLite has no tsvector or GIN: there the column stays empty and search uses a
simpler match (see ``marketplace.selectors.gig_search``). The index is kept out
of the model's Meta so the migration autodetector stays database-neutral.
"""

from django.db import migrations

INDEX_NAME = "marketplace_gig_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON marketplace_gig USING gin (search_vector)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
