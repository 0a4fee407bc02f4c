"""The order and its timeline now live in milestones, notifications and the audit log in accounts
(their tables stay where they are): this app's state lets go of them and points at the new homes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_offer_order_link_and_audit_ids"),
        ("milestones", "0006_order_and_timeline_moved_here"),
        ("accounts", "0003_notification_and_audit_moved_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="StaffAction"),
                migrations.DeleteModel(name="TimelineEvent"),
                migrations.DeleteModel(name="Notification"),
                migrations.AlterField(
                    model_name="offer",
                    name="order",
                    field=models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="offer",
                        to="milestones.order",
                    ),
                ),
                migrations.AlterField(
                    model_name="review",
                    name="order",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="reviews", to="milestones.order"
                    ),
                ),
                migrations.AlterField(
                    model_name="dispute",
                    name="order",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="disputes", to="milestones.order"
                    ),
                ),
                migrations.DeleteModel(name="Order"),
            ],
        ),
    ]
