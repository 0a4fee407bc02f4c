from datetime import timedelta

import pytest
from django.core.management import call_command

from accounts import tasks
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_purge_removes_only_old_unverified_signups(clock):
    stale = UserFactory(verified=False)
    fresh = UserFactory(verified=False)
    verified = UserFactory()
    staff = UserFactory(verified=False, is_staff=True)
    User.objects.filter(pk__in=[stale.pk, verified.pk, staff.pk]).update(date_joined=clock.now() - timedelta(days=8))
    assert tasks.purge_unverified_signups() == 1
    remaining = set(User.objects.values_list("pk", flat=True))
    assert remaining == {fresh.pk, verified.pk, staff.pk}
    # idempotent: a second run finds nothing more
    assert tasks.purge_unverified_signups() == 0


def test_purge_follows_the_clock(clock):
    user = UserFactory(verified=False)
    assert tasks.purge_unverified_signups() == 0
    clock.advance(days=7, minutes=1)
    assert tasks.purge_unverified_signups() == 1
    assert not User.objects.filter(pk=user.pk).exists()


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    count = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == count >= 5
    assert User.objects.get(email="seller@example.com").check_password("demo-pass-2026")


def test_purge_keeps_an_unverified_account_that_money_refers_to(clock):
    from payments.ledger import user_account
    from payments.models import AccountKind

    stale = UserFactory(verified=False)
    user_account(stale, AccountKind.BUYER_BALANCE)
    lonely = UserFactory(verified=False)
    User.objects.filter(pk__in=[stale.pk, lonely.pk]).update(date_joined=clock.now() - timedelta(days=8))
    assert tasks.purge_unverified_signups() == 1
    assert User.objects.filter(pk=stale.pk).exists()
    assert not User.objects.filter(pk=lonely.pk).exists()
