"""Verify every ledger invariant; exit 1 and print each breach if any fails."""

import sys

from django.core.management.base import BaseCommand

from payments.integrity import ledger_breaches
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction


class Command(BaseCommand):
    help = (
        "Check the whole ledger: balanced transactions, cached balances, no negative balances, provider totals, "
        "payouts in transit, pending earnings, settled escrows, paid checkouts. Exits 1 on any breach."
    )

    def handle(self, *args, **options):
        breaches = ledger_breaches()
        counts = (
            f"{LedgerTransaction.objects.count()} transactions, {LedgerEntry.objects.count()} entries, "
            f"{LedgerAccount.objects.count()} accounts"
        )
        if breaches:
            self.stderr.write(self.style.ERROR(f"Ledger check FAILED ({len(breaches)} breaches; {counts}):"))
            for breach in breaches:
                self.stderr.write(f"  - {breach}")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(f"Ledger OK: {counts}; every invariant holds."))
