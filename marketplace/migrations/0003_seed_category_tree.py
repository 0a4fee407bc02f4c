"""Create the category tree on every fresh database (``make run`` and tests)."""

from django.db import migrations


def add_categories(apps, schema_editor):
    from marketplace.categories import ensure_category_tree

    ensure_category_tree(apps.get_model("marketplace", "Category"))


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_gig_search_gin_index")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
