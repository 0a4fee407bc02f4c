"""An offer's own title (the order made from it takes it); existing offers take their gig's title, or
"Custom offer" when they have no gig."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Left


def backfill(apps, schema_editor):
    Offer = apps.get_model("orders", "Offer")
    Gig = apps.get_model("marketplace", "Gig")
    gig_title = Subquery(Gig.objects.filter(pk=OuterRef("gig_id")).values("title")[:1])
    Offer.objects.filter(gig__isnull=False).update(title=Left(gig_title, 140))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_merge_limits_and_state_machines"),
        ("marketplace", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="offer",
            name="title",
            field=models.CharField(default="Custom offer", max_length=140),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
