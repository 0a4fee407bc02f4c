"""Before the order, its timeline, notifications and the audit log move to lower apps (see the next
migrations of milestones, accounts and orders):

* the link between an offer and its order moves to the offer (``Offer.order``), so that an Order no longer
  points up at the orders app;
* the audit log's links to orders, milestones and disputes stop being database foreign keys (the log moves
  to accounts, which sits below the apps that own those rows); the ids stay.
"""

import django.db.models.deletion
from django.db import migrations, models


def link_offers(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Offer = apps.get_model("orders", "Offer")
    for order_id, offer_id in Order.objects.exclude(offer=None).values_list("pk", "offer_id"):
        Offer.objects.filter(pk=offer_id).update(order_id=order_id)


def unlink_offers(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Offer = apps.get_model("orders", "Offer")
    for offer_id, order_id in Offer.objects.exclude(order=None).values_list("pk", "order_id"):
        Order.objects.filter(pk=order_id).update(offer_id=offer_id)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_support_group"),
        ("milestones", "0005_request_closed_with_milestone"),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="offer",
            field=models.OneToOneField(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orders.offer"
            ),
        ),
        migrations.AddField(
            model_name="offer",
            name="order",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="offer_link",
                to="orders.order",
            ),
        ),
        migrations.RunPython(link_offers, unlink_offers),
        migrations.RemoveField(model_name="order", name="offer"),
        migrations.AlterField(
            model_name="offer",
            name="order",
            field=models.OneToOneField(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="offer", to="orders.order"
            ),
        ),
        migrations.AlterField(
            model_name="staffaction",
            name="order",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="orders.order",
            ),
        ),
        migrations.AlterField(
            model_name="staffaction",
            name="milestone",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="milestones.milestone",
            ),
        ),
        migrations.AlterField(
            model_name="staffaction",
            name="dispute",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="orders.dispute",
            ),
        ),
    ]
