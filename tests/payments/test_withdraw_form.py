"""The withdraw form's hidden key: a missing or broken one is refused with a message the page shows."""

import pytest
from django.urls import reverse

from payments import services
from payments.models import Payout
from payments.selectors import balances_for

from .conftest import pay_tip

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["", "k" * 101])
def test_a_withdrawal_without_its_form_key_says_to_reload_and_pays_nothing(client, buyer, seller, clock, key):
    """Found by the form fuzz suite: the key's error was on a hidden field, so the page said nothing."""
    pay_tip(buyer, seller, 5000)
    clock.advance(days=15)
    services.earnings_clear()
    client.force_login(seller)
    response = client.post(reverse("payments:earnings"), {"amount": "20", "idempotency_key": key})
    assert response.status_code == 200
    assert "This form has expired. Reload the page and try again." in response.content.decode()
    assert Payout.objects.count() == 0
    assert balances_for(seller).available_cents == 4000
