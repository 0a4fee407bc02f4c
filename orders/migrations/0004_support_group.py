"""The "Support" group: staff who work the Resolution Center.

Members (who must also be ``is_staff``) can open the staff pages, resolve
disputes and read, but not edit, orders, milestones and the ledger in the
Django admin. Permissions of models created in this same migrate run do not
exist yet, so they are created here first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT_GROUP = "Support"

PERMISSIONS = {
    "orders": [
        "view_order",
        "view_offer",
        "view_timelineevent",
        "view_review",
        "view_dispute",
        "resolve_dispute",
        "view_disputemessage",
        "add_disputemessage",
        "view_disputeattachment",
        "view_settlementproposal",
        "view_staffaction",
    ],
    "milestones": [
        "view_milestone",
        "view_delivery",
        "view_deliveryfile",
        "view_revisionrequest",
        "view_extensionrequest",
        "view_cancellationrequest",
        "view_planchange",
    ],
    "payments": ["view_ledgeraccount", "view_ledgertransaction", "view_ledgerentry", "view_earning", "view_payout"],
    "accounts": ["view_user"],
}


def create_support_group(apps, schema_editor):
    for app_label in PERMISSIONS:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    for app_label, codenames in PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*perms)


def remove_support_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=SUPPORT_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_disputes"),
        ("milestones", "0003_timermark"),
        ("payments", "0002_ledger_database_rules"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_support_group, remove_support_group)]
