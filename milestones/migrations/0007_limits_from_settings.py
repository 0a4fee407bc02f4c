"""The days and revisions limits come from settings (config/limits.py): the validators only, no SQL."""

import config.limits
import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('milestones', '0006_order_and_timeline_moved_here'),
    ]

    operations = [
        migrations.AlterField(
            model_name='extensionrequest',
            name='days',
            field=models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(config.limits.max_extension_days)]),
        ),
        migrations.AlterField(
            model_name='milestone',
            name='delivery_days',
            field=models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(config.limits.max_delivery_days)]),
        ),
        migrations.AlterField(
            model_name='milestone',
            name='revisions_allowed',
            field=models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MaxValueValidator(config.limits.max_revisions)]),
        ),
        migrations.AlterField(
            model_name='planchange',
            name='delivery_days',
            field=models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(config.limits.max_delivery_days)]),
        ),
        migrations.AlterField(
            model_name='planchange',
            name='revisions_allowed',
            field=models.PositiveSmallIntegerField(validators=[django.core.validators.MaxValueValidator(config.limits.max_revisions)]),
        ),
    ]
