from django.db import migrations, models


def total_from_average(apps, schema_editor):
    """Existing rows: the best the stored average allows (the next recount puts the exact sum)."""
    SellerStats = apps.get_model("marketplace", "SellerStats")
    SellerStats.objects.filter(avg_response_seconds__isnull=False).update(
        response_seconds_total=models.F("avg_response_seconds") * models.F("responses_counted")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0006_merge_limits_and_state_machines"),
    ]

    operations = [
        migrations.AddField(
            model_name="sellerstats",
            name="response_seconds_total",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(total_from_average, migrations.RunPython.noop),
    ]
