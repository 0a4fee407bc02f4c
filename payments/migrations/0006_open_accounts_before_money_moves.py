"""Open the platform's accounts and the accounts of everyone who has a checkout, as ``accounts_open`` does
for every new checkout: afterwards no money movement creates an account in the middle of its transaction."""

from django.db import migrations

USER_KINDS = ("buyer_balance", "seller_pending", "seller_available")
PLATFORM_KINDS = ("platform_revenue", "provider_clearing", "payouts_in_transit")


def open_accounts(apps, schema_editor):
    LedgerAccount = apps.get_model("payments", "LedgerAccount")
    Checkout = apps.get_model("payments", "Checkout")
    for kind in PLATFORM_KINDS:
        LedgerAccount.objects.get_or_create(kind=kind, user=None, milestone_id=None)
    people = set(Checkout.objects.values_list("buyer_id", flat=True)) | set(
        Checkout.objects.exclude(payee=None).values_list("payee_id", flat=True)
    )
    for user_id in sorted(people):
        for kind in USER_KINDS:
            LedgerAccount.objects.get_or_create(kind=kind, user_id=user_id, milestone_id=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_checkout_processing")]

    operations = [migrations.RunPython(open_accounts, migrations.RunPython.noop)]
