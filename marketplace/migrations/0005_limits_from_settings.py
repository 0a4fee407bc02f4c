"""The days and revisions limits come from settings (config/limits.py): the validators only, no SQL."""

import config.limits
import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('marketplace', '0004_gig_seller_rating'),
    ]

    operations = [
        migrations.AlterField(
            model_name='gig',
            name='delivery_days',
            field=models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(config.limits.max_delivery_days)]),
        ),
        migrations.AlterField(
            model_name='gigpackage',
            name='delivery_days',
            field=models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(config.limits.max_delivery_days)]),
        ),
        migrations.AlterField(
            model_name='gigpackage',
            name='revisions',
            field=models.PositiveSmallIntegerField(default=1, validators=[django.core.validators.MaxValueValidator(config.limits.max_revisions)]),
        ),
    ]
