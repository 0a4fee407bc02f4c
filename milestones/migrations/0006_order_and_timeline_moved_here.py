"""The order and its timeline move here from the orders app, with their tables (no table is touched).

The orders app sits above this one: a milestone belongs to an order, so the order is defined where the
milestone is, and the apps no longer point at each other. The content types (and with them the Support
group's permissions) move with the models.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import config.clock

MOVED = ("order", "timelineevent")


def move_content_types(apps, schema_editor, source="orders", target="milestones"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="milestones", target="orders")


class Migration(migrations.Migration):
    dependencies = [
        ("milestones", "0005_request_closed_with_milestone"),
        ("orders", "0005_offer_order_link_and_audit_ids"),
        ("marketplace", "0004_gig_seller_rating"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Order",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("title", models.CharField(max_length=140)),
                        (
                            "status",
                            models.CharField(
                                choices=[("active", "Active"), ("completed", "Completed"), ("cancelled", "Cancelled")],
                                db_index=True,
                                default="active",
                                max_length=10,
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=config.clock.now)),
                        ("ended_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "buyer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="orders_bought",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "conversation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="orders",
                                to="marketplace.conversation",
                            ),
                        ),
                        (
                            "gig",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="orders",
                                to="marketplace.gig",
                            ),
                        ),
                        (
                            "seller",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="orders_sold",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "orders_order",
                        "ordering": ["-created_at"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("buyer", models.F("seller")), _negated=True), name="order_not_self"
                            )
                        ],
                    },
                ),
                migrations.AlterField(
                    model_name="milestone",
                    name="order",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="milestones", to="milestones.order"
                    ),
                ),
                migrations.CreateModel(
                    name="TimelineEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("action", models.CharField(max_length=40)),
                        ("from_state", models.CharField(blank=True, max_length=20)),
                        ("to_state", models.CharField(blank=True, max_length=20)),
                        ("detail", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(db_index=True, default=config.clock.now)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "milestone",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="events",
                                to="milestones.milestone",
                            ),
                        ),
                        (
                            "order",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="events", to="milestones.order"
                            ),
                        ),
                    ],
                    options={"db_table": "orders_timelineevent", "ordering": ["created_at", "pk"]},
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
