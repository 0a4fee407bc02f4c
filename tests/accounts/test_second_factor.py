"""Two-factor authentication: staff must have it, and a code is asked again before money moves.

The staff cases are generated from the URLconf: every pattern under the Resolution Center and the admin
index, so a staff page added later is covered by default.
"""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts import second_factor
from milestones.models import State
from orders.models import DisputeStatus
from payments import services
from payments.models import LedgerTransaction, Payout
from payments.selectors import balances_for
from tests.factories import PASSWORD, UserFactory, enrol_totp, recovery_codes, totp_code
from tests.orders.builders import ms
from tests.orders.dispute_builders import answered, delivered, open_dispute, support_user
from tests.payments.conftest import pay_tip
from tests.security.conftest import example_path, url_patterns

pytestmark = pytest.mark.django_db

FIELD = second_factor.FIELD


# --- staff must have a second factor ---------------------------------------------------------------------
def staff_paths():
    """A path for every URL pattern of the Resolution Center, and the admin's index."""
    routes = [route for route, _view in url_patterns() if route.startswith("staff/")]
    assert len(routes) >= 5, routes
    return [example_path(route) for route in routes] + ["/admin/"]


def _support(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get_or_create(name="Support")[0])
    return user


STAFF_WITHOUT = {
    "support": lambda: _support(second_factor=False),
    "superuser": lambda: UserFactory(is_staff=True, is_superuser=True, second_factor=False),
    "plain staff": lambda: UserFactory(is_staff=True, second_factor=False),
}


@pytest.mark.parametrize("path", staff_paths())
@pytest.mark.parametrize("who", list(STAFF_WITHOUT))
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, who, path):
    client.force_login(STAFF_WITHOUT[who]())
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert second_factor.ENROL_MESSAGE in told


@pytest.mark.parametrize("path", staff_paths())
def test_a_post_to_a_staff_page_without_a_second_factor_moves_nothing(client, path):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    client.force_login(_support(second_factor=False))
    transactions = LedgerTransaction.objects.count()
    response = client.post(path.replace("/1/", f"/{dispute.pk}/"), {"outcome": "refund", "decision": "Refund."})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    dispute.refresh_from_db()
    assert dispute.status != DisputeStatus.RESOLVED
    assert LedgerTransaction.objects.count() == transactions


@pytest.mark.parametrize("path", staff_paths())
def test_staff_with_a_second_factor_are_let_through(client, path):
    client.force_login(_support())  # the factory gives staff an authenticator app
    response = client.get(path)
    assert response.get("Location") != reverse("mfa_index")


def test_a_security_key_counts_as_a_second_factor(client):
    user = _support(second_factor=False)
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={})
    client.force_login(user)
    assert client.get("/staff/disputes/").status_code == 200


def test_once_set_up_the_resolution_center_opens(client):
    user = _support(second_factor=False)
    client.force_login(user)
    assert client.get("/staff/disputes/")["Location"] == reverse("mfa_index")
    enrol_totp(user)
    assert client.get("/staff/disputes/").status_code == 200


def test_the_rule_can_be_turned_off(client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    client.force_login(_support(second_factor=False))
    assert client.get("/staff/disputes/").status_code == 200


def test_people_who_are_not_staff_are_never_sent_to_set_one_up(client):
    client.force_login(UserFactory())
    assert client.get("/staff/disputes/").status_code == 404  # as before: no hint the page exists
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/dashboard/").status_code == 200


def test_staff_without_a_second_factor_still_use_the_rest_of_the_site(client):
    client.force_login(_support(second_factor=False))
    assert client.get("/dashboard/").status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


def test_the_account_menu_links_to_two_factor_authentication(client):
    client.force_login(UserFactory())
    page = client.get("/dashboard/").content.decode()
    assert f'href="{reverse("mfa_index")}">Two-factor authentication</a>' in page


# --- the login asks for the code after the password ---------------------------------------------------------
def test_login_asks_for_the_code_after_the_password(client):
    user = UserFactory(second_factor=True)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp_code(user) != "000000" else "111111"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    done = client.post(reverse("mfa_authenticate"), {"code": totp_code(user)})
    assert done.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


# --- asked again at withdrawal ----------------------------------------------------------------------------------
@pytest.fixture
def seller_with_earnings(clock):
    buyer, seller = UserFactory(display_name="Bea Buyer"), UserFactory(display_name="Sol Seller")
    pay_tip(buyer, seller, 5000)
    clock.advance(days=15)
    services.earnings_clear()
    return seller


def _withdraw(client, data):
    page = client.get(reverse("payments:earnings"))
    key = page.context["form"].initial["idempotency_key"]
    return client.post(reverse("payments:earnings"), {"idempotency_key": key, **data})


def _not(code):
    return "000000" if code != "000000" else "111111"


def test_a_seller_without_two_factor_withdraws_as_before(client, seller_with_earnings):
    client.force_login(seller_with_earnings)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert f'name="{FIELD}"' not in page and "Authentication code" not in page
    assert _withdraw(client, {"amount": "40"}).status_code == 302
    assert Payout.objects.count() == 1


def test_a_seller_with_two_factor_is_asked_for_a_code(client, seller_with_earnings):
    enrol_totp(seller_with_earnings)
    client.force_login(seller_with_earnings)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert f'name="{FIELD}"' in page and "Authentication code" in page
    assert 'autocomplete="one-time-code"' in page
    response = _withdraw(client, {"amount": "40"})
    assert response.status_code == 200
    assert "Type the code from your authenticator app." in response.content.decode()
    assert not Payout.objects.exists()


def test_a_wrong_code_is_refused_next_to_the_field_the_amount_kept_and_no_money_moves(client, seller_with_earnings):
    enrol_totp(seller_with_earnings)
    client.force_login(seller_with_earnings)
    transactions = LedgerTransaction.objects.count()
    response = _withdraw(client, {"amount": "12.34", FIELD: _not(totp_code(seller_with_earnings))})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {FIELD: [second_factor.WRONG_CODE]}
    page = response.content.decode()
    assert 'value="12.34"' in page  # what was typed stays
    field_html = str(form[FIELD])
    assert "value=" not in field_html  # a one-time code is never written back
    assert not Payout.objects.exists()
    assert LedgerTransaction.objects.count() == transactions
    assert balances_for(seller_with_earnings).withdrawn_cents == 0


def test_the_current_code_withdraws_and_cannot_be_used_twice(client, seller_with_earnings):
    enrol_totp(seller_with_earnings)
    client.force_login(seller_with_earnings)
    code = totp_code(seller_with_earnings)
    assert _withdraw(client, {"amount": "20", FIELD: code}).status_code == 302
    assert Payout.objects.count() == 1
    replayed = _withdraw(client, {"amount": "20", FIELD: code})
    assert replayed.status_code == 200
    assert replayed.context["form"].errors == {FIELD: [second_factor.WRONG_CODE]}
    assert Payout.objects.count() == 1
    assert balances_for(seller_with_earnings).withdrawn_cents == 2000


def test_a_recovery_code_withdraws_once(client, seller_with_earnings):
    enrol_totp(seller_with_earnings)
    client.force_login(seller_with_earnings)
    code = recovery_codes(seller_with_earnings)[0]
    assert _withdraw(client, {"amount": "20", FIELD: code}).status_code == 302
    assert code not in recovery_codes(seller_with_earnings)  # spent
    again = _withdraw(client, {"amount": "20", FIELD: code})
    assert again.context["form"].errors == {FIELD: [second_factor.WRONG_CODE]}
    assert Payout.objects.count() == 1


def test_a_refused_amount_does_not_spend_the_code(client, seller_with_earnings):
    enrol_totp(seller_with_earnings)
    client.force_login(seller_with_earnings)
    code = recovery_codes(seller_with_earnings)[0]
    refused = _withdraw(client, {"amount": "1e3", FIELD: code})
    assert refused.status_code == 200 and "amount" in refused.context["form"].errors
    assert code in recovery_codes(seller_with_earnings)


def test_guessing_codes_is_rate_limited(client, seller_with_earnings):
    enrol_totp(seller_with_earnings)
    client.force_login(seller_with_earnings)
    wrong = _not(totp_code(seller_with_earnings))
    errors = [_withdraw(client, {"amount": "20", FIELD: wrong}).context["form"].errors[FIELD][0] for _ in range(6)]
    assert errors[0] == second_factor.WRONG_CODE
    assert errors[-1] != second_factor.WRONG_CODE  # allauth's "too many attempts"
    # even the right code is refused until the limit passes
    assert _withdraw(client, {"amount": "20", FIELD: totp_code(seller_with_earnings)}).status_code == 200
    assert not Payout.objects.exists()


# --- asked again at the staff dispute decision ----------------------------------------------------------------
def _resolve(client, dispute, **extra):
    return client.post(
        reverse("staff_dispute_resolve", args=[dispute.pk]),
        {"outcome": "split", "seller_amount": "60.00", "decision": "Most of the work was done.", **extra},
    )


def test_the_case_page_asks_support_for_a_code(client):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    client.force_login(support_user())
    page = client.get(reverse("staff_dispute", args=[dispute.pk])).content.decode()
    assert f'name="{FIELD}"' in page and "Authentication code" in page


def test_a_decision_with_a_wrong_code_moves_nothing(client):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    staff = support_user()
    client.force_login(staff)
    transactions = LedgerTransaction.objects.count()
    for code in ("", _not(totp_code(staff))):
        response = _resolve(client, dispute, **{FIELD: code})
        assert response.status_code == 400
        assert FIELD in response.context["resolve_form"].errors
        assert "Most of the work was done." in response.content.decode()  # the decision typed stays
    dispute.refresh_from_db()
    assert dispute.status != DisputeStatus.RESOLVED
    assert ms(order, 1).state == State.DISPUTED
    assert LedgerTransaction.objects.count() == transactions


def test_a_decision_with_the_current_code_moves_the_money_and_the_code_is_then_spent(client):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    staff = support_user()
    client.force_login(staff)
    code = totp_code(staff)
    assert _resolve(client, dispute, **{FIELD: code}).status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    other = answered(open_dispute(delivered(10000)[1]))
    assert _resolve(client, other, **{FIELD: code}).status_code == 400  # the same code again: replay
    other.refresh_from_db()
    assert other.status != DisputeStatus.RESOLVED
    assert _resolve(client, other, **{FIELD: recovery_codes(staff)[0]}).status_code == 302
