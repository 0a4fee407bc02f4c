"""Load demo data; running it again changes nothing that is already there.

The demo's history is real history: every order, payment and review is made through the services with
the project clock moved to when it happened (``orders.demo``), and every figure the pages show is
counted from those rows, so the periodic recount finds nothing to change.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.models import User
from accounts.permissions import SUPPORT_GROUP
from config import clock

DEMO_PASSWORD = "demo-pass-2026"

DEMO_USERS = [
    # email, display name, staff, superuser, bio
    ("admin@example.com", "Ada Admin", True, True, "Runs the platform."),
    ("support@example.com", "Sam Support", True, False, "Resolves disputes."),
    ("buyer@example.com", "Bea Buyer", False, False, "Runs a small online shop."),
    ("buyer2@example.com", "Ben Buyer", False, False, "Product manager at a start-up."),
    ("seller@example.com", "Sol Seller", False, False, "Full-stack developer, 8 years of Django."),
    ("seller2@example.com", "Sia Seller", False, False, "Brand designer and illustrator."),
    ("seller3@example.com", "Kai Writer", False, False, "Copywriter for SaaS and e-commerce."),
]

# Each app that has demo data adds a ``seed(stdout)`` function here.
APP_SEEDERS = [
    "marketplace.demo.seed",
    "orders.demo.seed",
    "payments.demo.seed",
]


class Command(BaseCommand):
    help = "Create demo buyers, sellers and staff (idempotent) and print how to log in."

    @transaction.atomic
    def handle(self, *args, **options):
        for email, name, staff, superuser, bio in DEMO_USERS:
            user, created = User.objects.get_or_create(
                email=email,
                # members for two years: the demo's history (orders.demo) goes back one
                defaults={
                    "display_name": name,
                    "is_staff": staff,
                    "is_superuser": superuser,
                    "bio": bio,
                    "date_joined": clock.now() - timedelta(days=730),
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        # Support staff work the Resolution Center; the group and its permissions come from orders' migrations.
        support, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
        support.user_set.add(User.objects.get(email="support@example.com"))
        for dotted in APP_SEEDERS:
            import_string(dotted)(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD}):"))
        for email, name, staff, superuser, _bio in DEMO_USERS:
            role = "admin" if superuser else "support staff" if staff else "buyer/seller"
            self.stdout.write(f"  {email:<24} {name:<12} {role}")
