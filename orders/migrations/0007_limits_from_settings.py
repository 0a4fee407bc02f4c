"""The days and revisions limits come from settings (config/limits.py): the validators only, no SQL."""

import config.limits
import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0006_order_timeline_notifications_audit_moved_out'),
    ]

    operations = [
        migrations.AlterField(
            model_name='offermilestone',
            name='delivery_days',
            field=models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(config.limits.max_delivery_days)]),
        ),
        migrations.AlterField(
            model_name='offermilestone',
            name='revisions_allowed',
            field=models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MaxValueValidator(config.limits.max_revisions)]),
        ),
    ]
