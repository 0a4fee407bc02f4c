from django.core.management.base import BaseCommand

from milestones import timers


class Command(BaseCommand):
    help = "Run every timer sweep once (auto-approval, reminders, deadlines, expiry, clearance, disputes)."

    def handle(self, *args, **options):
        for name, count in timers.run_all().items():
            self.stdout.write(f"{name:<20} {count}")
