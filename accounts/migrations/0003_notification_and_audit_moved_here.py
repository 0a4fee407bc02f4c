"""Notifications and the staff audit log move here from the orders app, with their tables.

Every app can now tell a person something (a new message, a tip) and record what staff did (an admin
edit of a gig, an earning put on hold), since this app is below them all. The audit log names orders,
milestones and disputes by id (their foreign keys were made plain ids in orders 0005), and gains
``target`` for anything else. The content types (and the Support group's permissions) move too.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import config.clock

MOVED = ("notification", "staffaction")


def move_content_types(apps, schema_editor, source="orders", target="accounts"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="accounts", target="orders")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_form_submission"),
        ("orders", "0005_offer_order_link_and_audit_ids"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("text", models.CharField(max_length=300)),
                        ("url", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(default=config.clock.now)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("email_wanted", models.BooleanField(default=True)),
                        ("emailed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "orders_notification",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(fields=["user", "read_at"], name="orders_noti_user_id_28a9d7_idx"),
                            models.Index(
                                condition=models.Q(("email_wanted", True), ("emailed_at", None)),
                                fields=["created_at"],
                                name="notification_unsent",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="StaffAction",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("action", models.CharField(db_index=True, max_length=40)),
                        ("order_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ("milestone_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ("dispute_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ("detail", models.TextField(blank=True, help_text="What was done (amounts, outcome).")),
                        (
                            "reason",
                            models.TextField(blank=True, help_text="Why: the decision or note the staff member wrote."),
                        ),
                        ("data", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(db_index=True, default=config.clock.now)),
                        (
                            "staff",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="staff_actions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "orders_staffaction",
                        "verbose_name": "staff action (audit log)",
                        "verbose_name_plural": "staff actions (audit log)",
                        "ordering": ["-created_at", "-pk"],
                    },
                ),
            ],
        ),
        migrations.AddField(
            model_name="staffaction",
            name="target",
            field=models.CharField(blank=True, default="", help_text="Anything else it acted on, e.g. “gig 12”.", max_length=120),
            preserve_default=False,
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
