"""A fake of Stripe's API on loopback, for the tests (``FakeStripe``; the fixture is ``fake_stripe``).

It is written from Stripe's API reference and answers the calls ``payments.providers.stripe`` makes,
through the official SDK pointed at it (``STRIPE_API_BASE``):

* ``Authorization: Bearer sk_test_...`` (the fake's own key) on every ``/v1`` call, else 401;
  ``Stripe-Account: acct_...`` makes the call on that connected account (403 if there is none).
* Bodies are form-encoded with nested keys; unknown, missing or mistyped parameters are refused with
  Stripe's error codes (see params.py). Objects come back in Stripe's shapes; lists are
  ``{"object": "list", "data": [...], "has_more": ..., "url": ...}``, newest first, with
  ``limit`` (1..100) and ``starting_after``.
* ``Idempotency-Key``: the same key with the same endpoint and parameters replays the first response
  (header ``Idempotent-Replayed: true``), with different ones it is refused (400 ``idempotency_error``).
  As Stripe documents, a request refused by parameter validation is not saved; anything that began
  executing is (a decline, a ``balance_insufficient``, a 500 from inside the endpoint).
* Test payment methods (``TEST_PAYMENT_METHODS``) behave as Stripe's documented ones do; the browser
  stand-in may also create one from a test card number (``POST /v1/payment_methods``, publishable key).
* Test-only routes under ``/fake/``: the 3-D Secure check (``POST /fake/3ds/<pi>?outcome=succeed|fail``,
  CORS open; ``GET`` shows a page with both buttons for redirect flows) and the hosted onboarding page an
  AccountLink's ``url`` points at.
* Every change appends a Stripe Event (``fake.events``); ``fake.sign`` / ``fake.deliver`` send one to a
  webhook endpoint signed as Stripe does.
* Money: the platform's balance grows with charges and shrinks with refunds, disputes and transfers;
  a connected account's grows with transfers and shrinks with payouts. Funds are available at once (as
  with Stripe's ``4000000000000077`` card): the fake does not model the pending period.
* ``fake.inject_fault(method, path_regex, after=False, status=500)``: before the endpoint runs, answer
  ``status`` (or drop the connection when ``status=None``); ``after=True`` runs it, saves the response for
  its idempotency key, then drops the connection (the answer is lost, the work is done).

Not modelled: the pending balance, fees, currency conversion, concurrent use of one idempotency key
(409; the fake runs one request at a time), capture_method=manual, Customers and saved cards.
"""

import hashlib
import hmac
import html
import json
import re
import secrets
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from .params import (
    EXPAND,
    ApiError,
    Bool,
    Currency,
    Enum,
    Hash,
    Int,
    List,
    Metadata,
    Str,
    check,
    invalid,
    parse_form,
)

PLATFORM = ""  # the owner key of the platform's own objects (connected accounts use their acct_ id)
SECRET_KEY = "sk_test_fake_51FakeStripeKey"
PUBLISHABLE_KEY = "pk_test_fake_51FakeStripeKey"
WEBHOOK_SECRET = "whsec_fake_signing_secret"
# The API version the fake answers as: the one stripe-python 16.1 pins and sends as Stripe-Version.
API_VERSION = "2026-10-28.endive"
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50}


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    outcome: str = "succeed"  # succeed | decline | authenticate | processing | unreachable
    code: str = ""  # card_error code (card_declined, expired_card, ...)
    decline_code: str = ""
    message: str = ""
    funding: str = "credit"


DECLINED = "Your card was declined."
# Stripe's documented test PaymentMethods (docs.stripe.com/testing), plus one of the fake's own:
# Stripe has no card that stays "processing", so ``pm_fake_processing`` (clearly not Stripe's) does,
# until ``fake.settle_intent(pi, succeed=...)`` ends it the way a late bank answer would; nor one whose
# confirmation never gets an answer, so ``pm_fake_networkError`` drops the connection before anything is done
# (the sandbox's 4000 0000 0000 0119).
TEST_PAYMENT_METHODS = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_visa_debit": TestCard("visa", "5556", funding="debit"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", "decline", "card_declined", "generic_decline", DECLINED),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "9995", "decline", "card_declined", "insufficient_funds", "Your card has insufficient funds."
    ),
    "pm_card_chargeDeclinedExpiredCard": TestCard(
        "visa", "0069", "decline", "expired_card", "expired_card", "Your card has expired."
    ),
    "pm_card_threeDSecure2Required": TestCard("visa", "3220", "authenticate"),
    "pm_card_authenticationRequired": TestCard("visa", "3184", "authenticate"),
    "pm_card_authenticationRequiredOnSetup": TestCard("visa", "3155", "authenticate"),
    "pm_fake_processing": TestCard("visa", "4242", "processing"),
    "pm_fake_networkError": TestCard("visa", "0119", "unreachable"),
}
# Test card numbers the browser stand-in may tokenize (POST /v1/payment_methods, like Stripe.js).
TEST_CARD_NUMBERS = {
    "4242424242424242": "pm_card_visa",
    "5555555555554444": "pm_card_mastercard",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
    "4000000000000069": "pm_card_chargeDeclinedExpiredCard",
    "4000000000003220": "pm_card_threeDSecure2Required",
    "4000002760003184": "pm_card_authenticationRequired",
    "4000002500003155": "pm_card_authenticationRequiredOnSetup",  # 3-D Secure on a one-off payment
}
AUTHENTICATION_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment method and try again."
)


def new_id(prefix):
    return f"{prefix}_{secrets.token_hex(12)}"


def now():
    return int(time.time())


class Dropped(Exception):
    """Close the connection without an answer (a lost response)."""


@dataclass
class Fault:
    method: str
    path: re.Pattern
    after: bool
    status: int | None
    times: int


# The stand-in for Stripe.js the browser tests use; served at /v3/ too (python -m tests.fake_stripe).
STANDIN = Path(__file__).resolve().parent.parent / "e2e" / "stripe_js_standin.js"


class FakeStripe:
    def __init__(self, *, secret_key=SECRET_KEY, publishable_key=PUBLISHABLE_KEY, webhook_secret=WEBHOOK_SECRET):
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.webhook_secret = webhook_secret
        self.lock = threading.RLock()
        self.server = None
        self.url = ""
        self.reset()

    # --- Life cycle --------------------------------------------------------------------------
    def start(self, port: int = 0):
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="fake-stripe", daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def reset(self):
        """Forget everything (between tests)."""
        with self.lock:
            self.objects: dict[str, dict] = {}  # id -> object
            self.owner: dict[str, str] = {}  # id -> PLATFORM or the connected account's id
            self.order: list[str] = []  # ids in creation order (lists are newest first)
            self.balances: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # owner -> cur -> cents
            self.idempotency: dict[tuple[str, str], dict] = {}
            self.payment_methods: dict[str, TestCard] = dict(TEST_PAYMENT_METHODS)
            self.links: dict[str, dict] = {}  # onboarding token -> {account, refresh_url, return_url, ...}
            self.events: list[dict] = []
            self.faults: list[Fault] = []
            self.requests: list[tuple[str, str, str]] = []  # (method, path, Stripe-Account) of each /v1 call
            self.versions: set[str] = set()  # the Stripe-Version headers received
            self.page_cap = 100  # tests may lower it to exercise pagination with few objects

    # --- Helpers for tests ---------------------------------------------------------------------
    def get(self, object_id) -> dict:
        """A copy of the object as the fake holds it."""
        with self.lock:
            return json.loads(json.dumps(self.objects[object_id]))

    def all(self, kind, *, account=None) -> list[dict]:
        """Every object of ``kind`` ("payment_intent", "charge", "refund", "transfer", "payout", "account",
        "balance_transaction", "dispute"), oldest first; ``account`` limits it to one owner."""
        with self.lock:
            return [
                json.loads(json.dumps(self.objects[i]))
                for i in self.order
                if self.objects[i]["object"] == kind and (account is None or self.owner[i] == account)
            ]

    def balance(self, account=PLATFORM, currency="usd") -> int:
        with self.lock:
            return self.balances[account][currency]

    def fund(self, amount, *, account=PLATFORM, currency="usd"):
        """Add available money to a balance (as a test top-up would)."""
        with self.lock:
            self._move(account, amount, currency, "adjustment", None, "Test top-up")

    def events_of(self, type_) -> list[dict]:
        with self.lock:
            return [event for event in self.events if event["type"] == type_]

    def inject_fault(self, method, path_regex, *, after=False, status: int | None = 500, times=1):
        """The next ``times`` calls matching ``method`` and ``path_regex`` (searched in the path, e.g.
        ``r"/v1/payment_intents/.*/confirm"``) fail: before running (HTTP ``status``, or a dropped
        connection with ``status=None``), or, with ``after=True``, after running (connection dropped)."""
        with self.lock:
            self.faults.append(Fault(method.upper(), re.compile(path_regex), after, status, times))

    def sign(self, payload: bytes | str, secret=None, timestamp=None) -> str:
        """A ``Stripe-Signature`` header: ``t=<unix time>,v1=<HMAC-SHA256(secret, f"{t}.{payload}") hex>``."""
        if isinstance(payload, bytes):
            payload = payload.decode()
        t = int(timestamp if timestamp is not None else time.time())
        digest = hmac.new((secret or self.webhook_secret).encode(), f"{t}.{payload}".encode(), hashlib.sha256)
        return f"t={t},v1={digest.hexdigest()}"

    def deliver(self, event, client_or_url, *, path="/payments/stripe/webhook", secret=None, timestamp=None):
        """POST ``event`` (a dict, or an event id) signed to the webhook endpoint: through a Django test
        ``Client`` (returns its response) or to a base URL (returns ``(status, body)``)."""
        if isinstance(event, str):
            event = self.get_event(event)
        payload = json.dumps(event).encode()
        signature = self.sign(payload, secret, timestamp)
        if isinstance(client_or_url, str):
            import urllib.error
            import urllib.request

            request = urllib.request.Request(  # noqa: S310 (a loopback http URL from the test)
                client_or_url.rstrip("/") + path,
                data=payload,
                headers={"Content-Type": "application/json", "Stripe-Signature": signature},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
                    return response.status, response.read()
            except urllib.error.HTTPError as error:
                return error.code, error.read()
        return client_or_url.post(path, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

    def get_event(self, event_id):
        with self.lock:
            return next(event for event in self.events if event["id"] == event_id)

    def complete_3ds(self, intent_id, *, succeed=True):
        """What the buyer's bank check does (the browser stand-in calls ``/fake/3ds/<pi>`` instead)."""
        with self.lock:
            return self._authenticate(intent_id, succeed)

    def settle_intent(self, intent_id, *, succeed=True):
        """End a ``processing`` payment, as the bank's late answer would."""
        with self.lock:
            intent = self.objects[intent_id]
            if intent["status"] != "processing":
                raise ValueError(f"{intent_id} is {intent['status']}, not processing")
            card = self.payment_methods[intent["payment_method"]]
            if succeed:
                self._succeed(intent, card)
            else:
                self._fail(intent, card, "card_declined", "generic_decline", DECLINED)
            return self.get(intent_id)

    def payout_settle(self, payout_id, *, paid=True, failure_code="account_closed"):
        """The bank's answer to a payout: paid, or failed (the money returns to the account's balance)."""
        with self.lock:
            payout = self.objects[payout_id]
            account = self.owner[payout_id]
            if payout["status"] not in ("pending", "in_transit"):
                raise ValueError(f"{payout_id} is already {payout['status']}")
            if paid:
                payout["status"] = "paid"
                self._event("payout.paid", payout, account=account)
            else:
                payout["status"] = "failed"
                payout["failure_code"] = failure_code
                payout["failure_message"] = "The bank account has been closed."
                txn = self._move(account, payout["amount"], payout["currency"], "payout_failure", payout_id)
                payout["failure_balance_transaction"] = txn["id"]
                self._event("payout.failed", payout, account=account)
            return self.get(payout_id)

    def dispute(self, intent_id, *, amount=None, reason="fraudulent"):
        """The buyer's bank disputes the payment: a Dispute, the charge marked disputed, the amount taken
        from the platform's balance, and ``charge.dispute.created``."""
        with self.lock:
            intent = self.objects[intent_id]
            charge = self.objects[intent["latest_charge"]]
            amount = charge["amount"] if amount is None else amount
            dispute_id = new_id("du")
            txn = self._move(PLATFORM, -amount, charge["currency"], "adjustment", dispute_id, "Chargeback withdrawal")
            dispute = self._store(
                {
                    "id": dispute_id,
                    "object": "dispute",
                    "amount": amount,
                    "balance_transactions": [txn],
                    "charge": charge["id"],
                    "created": now(),
                    "currency": charge["currency"],
                    "evidence_details": {"due_by": now() + 7 * 86400, "has_evidence": False},
                    "is_charge_refundable": False,
                    "livemode": False,
                    "metadata": {},
                    "payment_intent": intent_id,
                    "reason": reason,
                    "status": "needs_response",
                },
                PLATFORM,
            )
            charge["disputed"] = True
            self._event("charge.dispute.created", dispute)
            return self.get(dispute["id"])

    def onboard(self, account_id):
        """Finish a connected account's onboarding (what the hosted page's button does)."""
        with self.lock:
            account = self.objects[account_id]
            previous = {
                "details_submitted": account["details_submitted"],
                "payouts_enabled": account["payouts_enabled"],
                "capabilities": dict(account["capabilities"]),
            }
            account["details_submitted"] = True
            account["charges_enabled"] = True
            account["payouts_enabled"] = True
            account["capabilities"] = {name: "active" for name in account["capabilities"]}
            account["requirements"].update(currently_due=[], eventually_due=[], past_due=[], disabled_reason=None)
            account["external_accounts"]["data"] = [self._bank_account(account_id)]
            account["external_accounts"]["total_count"] = 1
            self._event("account.updated", account, account=account_id, previous=previous)
            return self.get(account_id)

    def require(
        self, account_id, fields=("individual.verification.document",), *, disabled_reason="requirements.past_due"
    ):
        """Stripe needs more from the account: payouts stop until it is given (``account.updated``)."""
        with self.lock:
            account = self.objects[account_id]
            account["payouts_enabled"] = False
            account["capabilities"] = {name: "inactive" for name in account["capabilities"]}
            account["requirements"].update(
                currently_due=list(fields), past_due=list(fields), disabled_reason=disabled_reason
            )
            self._event("account.updated", account, account=account_id)
            return self.get(account_id)

    # --- The request pipeline ------------------------------------------------------------------
    def handle(self, method, path, query, body, headers):
        """Answer one /v1 request: ``(status, json_body, extra_headers)``; raises Dropped to hang up."""
        with self.lock:
            account = headers.get("stripe-account", "") or PLATFORM
            self.requests.append((method, path, account))
            self.versions.add(headers.get("stripe-version", ""))
            try:
                key_kind = self._authenticate_key(headers.get("authorization", ""))
                fault = self._take_fault(method, path)
                if fault is not None and not fault.after:
                    if fault.status is None:
                        raise Dropped()
                    raise ApiError(fault.status, "An unknown error occurred (injected).", type="api_error", saved=False)
                if account and (account not in self.objects or self.objects[account]["object"] != "account"):
                    raise ApiError(
                        403,
                        f"The provided key '{self.secret_key[:12]}***' does not have access to account "
                        f"'{account}' (or that account does not exist). Application access may have been revoked.",
                        code="account_invalid",
                    )
                route, ids = self._route(method, path)
                params = parse_form(body if method == "POST" else query)
                if key_kind == "publishable" and route not in self.PUBLISHABLE_ROUTES:
                    raise ApiError(
                        401,
                        "This API call cannot be made with a publishable API key. Please use a secret API key.",
                        saved=False,
                    )
                if key_kind == "publishable" and route == "retrieve_intent":
                    secret = params.get("client_secret", "")
                    intent = self.objects.get(ids[0]) or {}
                    if secret != intent.get("client_secret"):
                        raise invalid("The client_secret provided does not match this PaymentIntent.")
                idempotency_key = headers.get("idempotency-key", "") if method == "POST" else ""
                if idempotency_key:
                    saved = self.idempotency.get((account, idempotency_key))
                    if saved is not None:
                        if (saved["method"], saved["path"], saved["params"]) != (method, path, params):
                            raise ApiError(
                                400,
                                "Keys for idempotent requests can only be used with the same parameters they were "
                                f"first used with. Try using a key other than '{idempotency_key}' if you meant to "
                                "execute a different request.",
                                type="idempotency_error",
                                saved=False,
                            )
                        return saved["status"], saved["body"], {"Idempotent-Replayed": "true"}
                spec = getattr(self, f"spec_{route}", None)
                cleaned = check(params, spec()) if spec else check(params, {})
                for path_ in cleaned.get("expand") or []:  # checked before anything is done, as Stripe does
                    if path_.removeprefix("data.") not in self.EXPANDABLE.get(route, ()):
                        raise invalid(f"This property cannot be expanded ({path_}).", param="expand")
                try:
                    status, response = 200, getattr(self, f"do_{route}")(account, *ids, **cleaned)
                except ApiError as error:
                    if not error.saved:
                        raise
                    status, response = error.status, error.response()
                if idempotency_key:
                    self.idempotency[(account, idempotency_key)] = {
                        "method": method,
                        "path": path,
                        "params": params,
                        "status": status,
                        "body": response,
                    }
                if fault is not None:
                    raise Dropped()
                return status, response, {}
            except ApiError as error:
                return error.status, error.response(), {}

    INTENT_EXPANDABLE = ("latest_charge",)
    EXPANDABLE = {
        "create_intent": INTENT_EXPANDABLE,
        "list_intents": INTENT_EXPANDABLE,
        "retrieve_intent": INTENT_EXPANDABLE,
        "update_intent": INTENT_EXPANDABLE,
        "confirm_intent": INTENT_EXPANDABLE,
        "retrieve_charge": ("balance_transaction",),
        "create_refund": ("charge", "balance_transaction"),
        "retrieve_refund": ("charge", "balance_transaction"),
    }
    PUBLISHABLE_ROUTES = ("create_payment_method", "retrieve_intent")
    ROUTES = [
        ("POST", r"/v1/payment_intents", "create_intent"),
        ("GET", r"/v1/payment_intents", "list_intents"),
        ("GET", r"/v1/payment_intents/(pi_\w+)", "retrieve_intent"),
        ("POST", r"/v1/payment_intents/(pi_\w+)", "update_intent"),
        ("POST", r"/v1/payment_intents/(pi_\w+)/confirm", "confirm_intent"),
        ("POST", r"/v1/payment_methods", "create_payment_method"),
        ("GET", r"/v1/charges/(ch_\w+)", "retrieve_charge"),
        ("POST", r"/v1/refunds", "create_refund"),
        ("GET", r"/v1/refunds", "list_refunds"),
        ("GET", r"/v1/refunds/(re_\w+)", "retrieve_refund"),
        ("POST", r"/v1/transfers", "create_transfer"),
        ("GET", r"/v1/transfers", "list_transfers"),
        ("GET", r"/v1/transfers/(tr_\w+)", "retrieve_transfer"),
        ("POST", r"/v1/payouts", "create_payout"),
        ("GET", r"/v1/payouts", "list_payouts"),
        ("GET", r"/v1/payouts/(po_\w+)", "retrieve_payout"),
        ("POST", r"/v1/accounts", "create_account"),
        ("GET", r"/v1/accounts/(acct_\w+)", "retrieve_account"),
        ("POST", r"/v1/account_links", "create_account_link"),
        ("GET", r"/v1/balance", "retrieve_balance"),
        ("GET", r"/v1/balance_transactions", "list_balance_transactions"),
        ("GET", r"/v1/events", "list_events"),
        ("GET", r"/v1/events/(evt_\w+)", "retrieve_event"),
    ]

    def _route(self, method, path):
        for route_method, pattern, name in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                return name, match.groups()
        if any(re.fullmatch(pattern, path) for _, pattern, _ in self.ROUTES):
            raise invalid(f"Unrecognized request URL ({method}: {path}).")
        resource = re.match(r"/v1/(\w+)/(\w+)", path)
        if resource:  # a well-formed id that is not there
            raise ApiError(
                404,
                f"No such {resource.group(1).rstrip('s')}: '{resource.group(2)}'",
                code="resource_missing",
                param="id",
                saved=False,
            )
        raise ApiError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at "
            "https://support.stripe.com/.",
            saved=False,
        )

    def _authenticate_key(self, authorization):
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "basic":
            import base64

            credential = base64.b64decode(credential).decode().partition(":")[0]
        elif scheme.lower() != "bearer":
            credential = ""
        if not credential:
            raise ApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                saved=False,
            )
        if credential == self.secret_key:
            return "secret"
        if credential == self.publishable_key:
            return "publishable"
        raise ApiError(
            401, f"Invalid API Key provided: {credential[:8]}{'*' * 16}", code="api_key_invalid", saved=False
        )

    def _take_fault(self, method, path):
        for fault in self.faults:
            if fault.method == method and fault.path.search(path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- Storage, money, events ----------------------------------------------------------------
    def _store(self, obj, owner):
        self.objects[obj["id"]] = obj
        self.owner[obj["id"]] = owner
        self.order.append(obj["id"])
        return obj

    def _find(self, object_id, kind, account, param="id"):
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != kind or self.owner[object_id] != account:
            raise ApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param, saved=False)
        return obj

    def _move(self, owner, amount, currency, type_, source, description=None):
        self.balances[owner][currency] += amount
        return self._store(
            {
                "id": new_id("txn"),
                "object": "balance_transaction",
                "amount": amount,
                "available_on": now(),
                "created": now(),
                "currency": currency,
                "description": description,
                "fee": 0,
                "fee_details": [],
                "net": amount,
                "reporting_category": type_,
                "source": source,
                "status": "available",
                "type": type_,
            },
            owner,
        )

    def _event(self, type_, obj, *, account=PLATFORM, previous=None):
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        if previous:
            event["data"]["previous_attributes"] = previous
        if account:
            event["account"] = account  # a Connect event, about a connected account
        self.events.append(event)
        return event

    def _page(self, kind, account, path, *, limit=10, starting_after=None, ending_before=None, keep=None):
        """A Stripe list object, newest first."""
        items = [
            self.objects[i]
            for i in reversed(self.order)
            if self.objects[i]["object"] == kind
            and self.owner[i] == account
            and (keep is None or keep(self.objects[i]))
        ]
        if starting_after:
            ids = [item["id"] for item in items]
            if starting_after not in ids:
                raise invalid(f"No such {kind}: '{starting_after}'", param="starting_after")
            items = items[ids.index(starting_after) + 1 :]
        elif ending_before:
            ids = [item["id"] for item in items]
            if ending_before not in ids:
                raise invalid(f"No such {kind}: '{ending_before}'", param="ending_before")
            items = items[: ids.index(ending_before)]
        limit = min(limit, self.page_cap)
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": path}

    LIST = {"limit": Int(minimum=1, maximum=100), "starting_after": Str(), "ending_before": Str(), "expand": EXPAND}

    def _expanded(self, obj, expand, allowed):
        obj = json.loads(json.dumps(obj))
        for path in expand or []:
            field = path.removeprefix("data.") if obj.get("object") == "list" else path
            if field not in allowed:
                raise invalid(f"This property cannot be expanded ({path}).", param="expand")
            targets = obj["data"] if obj.get("object") == "list" else [obj]
            for target in targets:
                if target.get(field):
                    target[field] = json.loads(json.dumps(self.objects[target[field]]))
        return obj

    # --- PaymentIntents ------------------------------------------------------------------------
    def spec_create_intent(self):
        return {
            "amount": Int(required=True, minimum=1, maximum=99_999_999),
            "currency": Currency(required=True),
            "allowed_payment_method_types": List(Enum("card")),
            "excluded_payment_method_types": List(Str()),
            "payment_method_types": List(Str()),  # refused below, as endive does
            "automatic_payment_methods": Hash(
                {"enabled": Bool(required=True), "allow_redirects": Enum("always", "never")}
            ),
            "payment_method": Str(),
            "confirm": Bool(),
            "return_url": Str(),
            "description": Str(max_length=1000),
            "metadata": Metadata(),
            "transfer_group": Str(),
            "statement_descriptor_suffix": Str(max_length=22),
            "receipt_email": Str(),
            "expand": EXPAND,
        }

    def do_create_intent(self, account, *, amount, currency, expand=(), confirm=False, **fields):
        minimum = MINIMUM_CHARGE.get(currency, 50)
        if amount < minimum:
            raise invalid(
                f"Amount must be at least {minimum / 100:.2f} {currency}", code="amount_too_small", param="amount"
            )
        if "payment_method_types" in fields:
            raise invalid(
                "payment_method_types is no longer supported on this API version; use allowed_payment_method_types, "
                "excluded_payment_method_types or dynamic payment methods.",
                code="payment_method_types_no_longer_supported",
                param="payment_method_types",
            )
        exclusive = [
            name
            for name in ("allowed_payment_method_types", "excluded_payment_method_types", "automatic_payment_methods")
            if name in fields
        ]
        if len(exclusive) > 1:
            raise invalid(
                f"You may only specify one of these parameters: {', '.join(exclusive)}.", code="parameters_exclusive"
            )
        intent_id = new_id("pi")
        intent = self._store(
            {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": 0,
                "application_fee_amount": None,
                "automatic_payment_methods": fields.get("automatic_payment_methods"),
                "canceled_at": None,
                "cancellation_reason": None,
                "capture_method": "automatic_async",
                "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
                "confirmation_method": "automatic",
                "created": now(),
                "currency": currency,
                "customer": None,
                "description": fields.get("description"),
                "last_payment_error": None,
                "latest_charge": None,
                "livemode": False,
                "metadata": fields.get("metadata", {}),
                "next_action": None,
                "on_behalf_of": None,
                "payment_method": None,
                "payment_method_types": fields.get("allowed_payment_method_types") or ["card"],
                "processing": None,
                "receipt_email": fields.get("receipt_email"),
                "statement_descriptor_suffix": fields.get("statement_descriptor_suffix"),
                "status": "requires_payment_method",
                "transfer_data": None,
                "transfer_group": fields.get("transfer_group"),
            },
            account,
        )
        self._event("payment_intent.created", intent)
        if fields.get("payment_method"):
            self._attach(intent, fields["payment_method"])
        if confirm:
            self._confirm(intent, fields.get("return_url"))
        return self._expanded(intent, expand, {"latest_charge"})

    def do_list_intents(self, account, *, expand=(), **page):
        return self._expanded(
            self._page("payment_intent", account, "/v1/payment_intents", **page), expand, {"latest_charge"}
        )

    def spec_list_intents(self):
        return {**self.LIST, "customer": Str()}

    def spec_retrieve_intent(self):
        return {"expand": EXPAND, "client_secret": Str()}

    def do_retrieve_intent(self, account, intent_id, *, expand=(), client_secret=None):
        intent = self._find(intent_id, "payment_intent", account)
        return self._expanded(intent, expand, {"latest_charge"})

    def spec_update_intent(self):
        return {
            "amount": Int(minimum=1, maximum=99_999_999),
            "currency": Currency(),
            "description": Str(max_length=1000),
            "metadata": Metadata(),
            "payment_method": Str(),
            "transfer_group": Str(),
            "receipt_email": Str(),
            "expand": EXPAND,
        }

    def do_update_intent(self, account, intent_id, *, expand=(), **fields):
        intent = self._find(intent_id, "payment_intent", account)
        if intent["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
            raise self._unexpected_state(intent, "update")
        if "amount" in fields and fields["amount"] < MINIMUM_CHARGE.get(intent["currency"], 50):
            raise invalid("Amount must be at least 0.50 usd", code="amount_too_small", param="amount")
        if "metadata" in fields:
            intent["metadata"] = {**intent["metadata"], **fields.pop("metadata")}
        if "payment_method" in fields:
            self._attach(intent, fields.pop("payment_method"))
        intent.update(fields)
        if intent["status"] == "requires_action" and ("amount" in fields or "currency" in fields):
            intent["status"], intent["next_action"] = "requires_confirmation", None  # the old check is void
        return self._expanded(intent, expand, {"latest_charge"})

    def spec_confirm_intent(self):
        return {
            "payment_method": Str(),
            "return_url": Str(),
            "expand": EXPAND,
            "receipt_email": Str(),
            "use_stripe_sdk": Bool(),
            "client_secret": Str(),
        }

    def do_confirm_intent(self, account, intent_id, *, expand=(), return_url=None, payment_method=None, **fields):
        intent = self._find(intent_id, "payment_intent", account)
        if intent["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
            raise self._unexpected_state(intent, "confirm")
        if payment_method and getattr(self.payment_methods.get(payment_method), "outcome", "") == "unreachable":
            raise Dropped()  # no answer, nothing done (and nothing saved for the idempotency key)
        if payment_method:
            self._attach(intent, payment_method)
        if not intent["payment_method"]:
            raise ApiError(
                400,
                "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
                "PaymentIntent with cus_xxx, specify a payment method attached to this customer along with the "
                "customer ID.",
                code="payment_intent_unexpected_state",
                payment_intent=intent,
            )
        self._confirm(intent, return_url)
        return self._expanded(intent, expand, {"latest_charge"})

    def _attach(self, intent, payment_method):
        if payment_method not in self.payment_methods:
            raise invalid(f"No such PaymentMethod: '{payment_method}'", param="payment_method")
        intent["payment_method"] = payment_method
        if intent["status"] in ("requires_payment_method", "requires_action"):
            intent["status"] = "requires_confirmation"
            intent["next_action"] = None

    def _unexpected_state(self, intent, verb):
        done = {"succeeded": "it has already succeeded after being previously confirmed"}.get(
            intent["status"], f"it has a status of {intent['status']}"
        )
        return ApiError(
            400,
            f"You cannot {verb} this PaymentIntent because {done}.",
            code="payment_intent_unexpected_state",
            payment_intent=json.loads(json.dumps(intent)),
        )

    def _confirm(self, intent, return_url):
        card = self.payment_methods[intent["payment_method"]]
        intent["last_payment_error"] = None
        if card.outcome == "succeed":
            self._succeed(intent, card)
        elif card.outcome == "decline":
            charge = self._fail(intent, card, card.code, card.decline_code, card.message)
            raise ApiError(
                402,
                card.message,
                type="card_error",
                code=card.code,
                decline_code=card.decline_code,
                charge=charge["id"],
                doc_url=f"https://stripe.com/docs/error-codes/{card.code.replace('_', '-')}",
                payment_intent=json.loads(json.dumps(intent)),
                payment_method={"id": intent["payment_method"], "object": "payment_method", "type": "card"},
            )
        elif card.outcome == "authenticate":
            intent["status"] = "requires_action"
            if return_url:
                intent["next_action"] = {
                    "type": "redirect_to_url",
                    "redirect_to_url": {"url": f"{self.url}/fake/3ds/{intent['id']}", "return_url": return_url},
                }
            else:
                intent["next_action"] = {
                    "type": "use_stripe_sdk",
                    "use_stripe_sdk": {
                        "type": "three_d_secure_redirect",
                        "stripe_js": f"{self.url}/fake/3ds/{intent['id']}",
                    },
                }
            self._event("payment_intent.requires_action", intent)
        else:  # processing: the outcome comes later (settle_intent)
            intent["status"] = "processing"
            intent["processing"] = {"type": "card", "card": {}}
            self._event("payment_intent.processing", intent)

    def _charge(self, intent, card, status, **fields):
        charge = self._store(
            {
                "id": new_id("ch"),
                "object": "charge",
                "amount": intent["amount"],
                "amount_captured": intent["amount"] if status == "succeeded" else 0,
                "amount_refunded": 0,
                "balance_transaction": None,
                "captured": status == "succeeded",
                "created": now(),
                "currency": intent["currency"],
                "description": intent["description"],
                "disputed": False,
                "failure_code": None,
                "failure_message": None,
                "livemode": False,
                "metadata": dict(intent["metadata"]),
                "outcome": {
                    "network_status": "approved_by_network",
                    "type": "authorized",
                    "seller_message": "Payment complete.",
                },
                "paid": status == "succeeded",
                "payment_intent": intent["id"],
                "payment_method": intent["payment_method"],
                "payment_method_details": {
                    "type": "card",
                    "card": {
                        "brand": card.brand,
                        "country": "US",
                        "exp_month": 12,
                        "exp_year": 2034,
                        "funding": card.funding,
                        "last4": card.last4,
                        "network": card.brand,
                    },
                },
                "refunded": False,
                "refunds": {"object": "list", "data": [], "has_more": False, "url": ""},
                "status": status,
                "transfer_group": intent["transfer_group"],
                **fields,
            },
            self.owner[intent["id"]],
        )
        charge["refunds"]["url"] = f"/v1/charges/{charge['id']}/refunds"
        intent["latest_charge"] = charge["id"]
        return charge

    def _succeed(self, intent, card):
        charge = self._charge(intent, card, "succeeded")
        txn = self._move(self.owner[intent["id"]], intent["amount"], intent["currency"], "charge", charge["id"])
        charge["balance_transaction"] = txn["id"]
        intent.update(status="succeeded", amount_received=intent["amount"], next_action=None, processing=None)
        self._event("charge.succeeded", charge)
        self._event("payment_intent.succeeded", intent)

    def _fail(self, intent, card, code, decline_code, message):
        charge = self._charge(
            intent,
            card,
            "failed",
            failure_code=code,
            failure_message=message,
            outcome={"network_status": "declined_by_network", "type": "issuer_declined", "reason": decline_code},
        )
        intent.update(
            status="requires_payment_method",
            next_action=None,
            processing=None,
            last_payment_error={
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": message,
                "charge": charge["id"],
                "payment_method": {"id": intent["payment_method"], "object": "payment_method", "type": "card"},
            },
        )
        self._event("charge.failed", charge)
        self._event("payment_intent.payment_failed", intent)
        return charge

    def _authenticate(self, intent_id, succeed):
        intent = self.objects.get(intent_id)
        if intent is None or intent["object"] != "payment_intent":
            raise ApiError(404, f"No such payment_intent: '{intent_id}'", code="resource_missing")
        if intent["status"] != "requires_action":
            raise self._unexpected_state(intent, "authenticate")
        card = self.payment_methods[intent["payment_method"]]
        if succeed:
            self._succeed(intent, card)
        else:
            intent.update(
                status="requires_payment_method",
                next_action=None,
                last_payment_error={
                    "type": "invalid_request_error",
                    "code": "payment_intent_authentication_failure",
                    "message": AUTHENTICATION_FAILED,
                    "payment_method": {"id": intent["payment_method"], "object": "payment_method", "type": "card"},
                },
            )
            self._event("payment_intent.payment_failed", intent)
        return json.loads(json.dumps(intent))

    # --- PaymentMethods (the browser stand-in tokenizes a test card number) ------------------------
    def spec_create_payment_method(self):
        card = Hash(
            {
                "number": Str(required=True),
                "exp_month": Int(required=True, minimum=1, maximum=12),
                "exp_year": Int(required=True),
                "cvc": Str(),
            }
        )
        return {
            "type": Enum("card", required=True),
            "card": card,
            "billing_details": Hash({"name": Str(), "email": Str()}),
        }

    def do_create_payment_method(self, account, *, type, card=None, billing_details=None):
        if card is None:
            raise invalid("Missing required param: card.", code="parameter_missing", param="card")
        number = re.sub(r"\D", "", card["number"])
        if number not in TEST_CARD_NUMBERS:
            raise ApiError(
                402, "Your card number is incorrect.", type="card_error", code="incorrect_number", param="number"
            )
        template = TEST_PAYMENT_METHODS[TEST_CARD_NUMBERS[number]]
        pm_id = new_id("pm")
        self.payment_methods[pm_id] = template
        return {
            "id": pm_id,
            "object": "payment_method",
            "type": "card",
            "card": {
                "brand": template.brand,
                "last4": template.last4,
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "funding": template.funding,
                "country": "US",
            },
            "billing_details": billing_details or {},
            "created": now(),
            "livemode": False,
        }

    def spec_retrieve_charge(self):
        return {"expand": EXPAND}

    def do_retrieve_charge(self, account, charge_id, *, expand=()):
        return self._expanded(self._find(charge_id, "charge", account), expand, {"balance_transaction"})

    # --- Refunds -------------------------------------------------------------------------------
    def spec_create_refund(self):
        return {
            "payment_intent": Str(),
            "charge": Str(),
            "amount": Int(minimum=1),
            "reason": Enum("duplicate", "fraudulent", "requested_by_customer"),
            "metadata": Metadata(),
            "expand": EXPAND,
        }

    def do_create_refund(self, account, *, payment_intent=None, charge=None, amount=None, expand=(), **fields):
        if bool(payment_intent) == bool(charge):
            raise invalid("One of the following params should be provided for this request: payment_intent or charge.")
        if payment_intent:
            intent = self._find(payment_intent, "payment_intent", account, "payment_intent")
            if intent["status"] != "succeeded":
                raise invalid(
                    f"This PaymentIntent ({payment_intent}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge_obj = self.objects[intent["latest_charge"]]
        else:
            charge_obj = self._find(charge, "charge", account, "charge")
        unrefunded = charge_obj["amount"] - charge_obj["amount_refunded"]
        if charge_obj["refunded"] or unrefunded == 0:
            raise ApiError(400, f"Charge {charge_obj['id']} has already been refunded.", code="charge_already_refunded")
        amount = unrefunded if amount is None else amount
        if amount > unrefunded:
            raise ApiError(
                400,
                f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on charge "
                f"(${unrefunded / 100:.2f})",
                code="amount_too_large",
                param="amount",
            )
        refund_id = new_id("re")
        txn = self._move(account, -amount, charge_obj["currency"], "refund", refund_id)
        refund = self._store(
            {
                "id": refund_id,
                "object": "refund",
                "amount": amount,
                "balance_transaction": txn["id"],
                "charge": charge_obj["id"],
                "created": now(),
                "currency": charge_obj["currency"],
                "metadata": fields.get("metadata", {}),
                "payment_intent": charge_obj["payment_intent"],
                "reason": fields.get("reason"),
                "status": "succeeded",
            },
            account,
        )
        charge_obj["amount_refunded"] += amount
        charge_obj["refunded"] = charge_obj["amount_refunded"] == charge_obj["amount"]
        charge_obj["refunds"]["data"].insert(0, refund)
        self._event("refund.created", refund)
        self._event("charge.refunded", charge_obj)
        return self._expanded(refund, expand, {"charge", "balance_transaction"})

    def spec_list_refunds(self):
        return {**self.LIST, "payment_intent": Str(), "charge": Str()}

    def do_list_refunds(self, account, *, expand=(), payment_intent=None, charge=None, **page):
        def keep(refund):
            return (payment_intent is None or refund["payment_intent"] == payment_intent) and (
                charge is None or refund["charge"] == charge
            )

        return self._page("refund", account, "/v1/refunds", keep=keep, **page)

    def spec_retrieve_refund(self):
        return {"expand": EXPAND}

    def do_retrieve_refund(self, account, refund_id, *, expand=()):
        return self._expanded(self._find(refund_id, "refund", account), expand, {"charge", "balance_transaction"})

    # --- Transfers (platform -> connected account) ---------------------------------------------
    def spec_create_transfer(self):
        return {
            "amount": Int(required=True, minimum=1),
            "currency": Currency(required=True),
            "destination": Str(required=True),
            "description": Str(),
            "metadata": Metadata(),
            "transfer_group": Str(),
            "source_transaction": Str(),
            "expand": EXPAND,
        }

    def do_create_transfer(self, account, *, amount, currency, destination, expand=(), **fields):
        target = self.objects.get(destination)
        if target is None or target["object"] != "account":
            raise invalid(f"No such destination: '{destination}'", code="resource_missing", param="destination")
        if target["capabilities"].get("transfers") != "active":
            raise ApiError(
                400,
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )
        if self.balances[account][currency] < amount:
            raise ApiError(
                400,
                "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
                "available balance by creating Charges using the 4000000000000077 test card.",
                code="balance_insufficient",
            )
        transfer_id = new_id("tr")
        txn = self._move(account, -amount, currency, "transfer", transfer_id)
        payment_id = new_id("py")
        self._move(destination, amount, currency, "payment", payment_id)
        transfer = self._store(
            {
                "id": transfer_id,
                "object": "transfer",
                "amount": amount,
                "amount_reversed": 0,
                "balance_transaction": txn["id"],
                "created": now(),
                "currency": currency,
                "description": fields.get("description"),
                "destination": destination,
                "destination_payment": payment_id,
                "livemode": False,
                "metadata": fields.get("metadata", {}),
                "reversals": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/transfers/{transfer_id}/reversals",
                },
                "reversed": False,
                "source_transaction": fields.get("source_transaction"),
                "source_type": "card",
                "transfer_group": fields.get("transfer_group"),
            },
            account,
        )
        self._event("transfer.created", transfer)
        return transfer

    def spec_list_transfers(self):
        return {**self.LIST, "destination": Str(), "transfer_group": Str()}

    def do_list_transfers(self, account, *, expand=(), destination=None, transfer_group=None, **page):
        def keep(transfer):
            return (destination is None or transfer["destination"] == destination) and (
                transfer_group is None or transfer["transfer_group"] == transfer_group
            )

        return self._page("transfer", account, "/v1/transfers", keep=keep, **page)

    def spec_retrieve_transfer(self):
        return {"expand": EXPAND}

    def do_retrieve_transfer(self, account, transfer_id, *, expand=()):
        return self._find(transfer_id, "transfer", account)

    # --- Payouts (connected account -> its bank; Stripe-Account header) ------------------------
    def spec_create_payout(self):
        return {
            "amount": Int(required=True, minimum=1),
            "currency": Currency(required=True),
            "description": Str(),
            "metadata": Metadata(),
            "method": Enum("standard", "instant"),
            "statement_descriptor": Str(max_length=22),
            "destination": Str(),
            "expand": EXPAND,
        }

    def do_create_payout(self, account, *, amount, currency, expand=(), **fields):
        holder = self.objects.get(account) if account else None
        if holder is not None and not holder["payouts_enabled"]:
            raise ApiError(
                400,
                "Your account cannot currently make payouts. Please complete your account onboarding.",
                code="payouts_not_allowed",
            )
        if self.balances[account][currency] < amount:
            raise ApiError(
                400,
                "You have insufficient funds in your Stripe account for this transfer. Your card balance is too low."
                " You can use the /v1/balance endpoint to view your Stripe balance (for more details, see "
                "stripe.com/docs/api#balance).",
                code="balance_insufficient",
            )
        payout_id = new_id("po")
        txn = self._move(account, -amount, currency, "payout", payout_id)
        bank = (holder or {}).get("external_accounts", {}).get("data") or [{"id": "ba_platform"}]
        payout = self._store(
            {
                "id": payout_id,
                "object": "payout",
                "amount": amount,
                "arrival_date": now() + 2 * 86400,
                "automatic": False,
                "balance_transaction": txn["id"],
                "created": now(),
                "currency": currency,
                "description": fields.get("description"),
                "destination": fields.get("destination") or bank[0]["id"],
                "failure_balance_transaction": None,
                "failure_code": None,
                "failure_message": None,
                "livemode": False,
                "metadata": fields.get("metadata", {}),
                "method": fields.get("method", "standard"),
                "source_type": "card",
                "statement_descriptor": fields.get("statement_descriptor"),
                "status": "pending",
                "type": "bank_account",
            },
            account,
        )
        self._event("payout.created", payout, account=account)
        return payout

    def spec_list_payouts(self):
        return {**self.LIST, "status": Enum("pending", "paid", "failed", "canceled")}

    def do_list_payouts(self, account, *, expand=(), status=None, **page):
        return self._page(
            "payout", account, "/v1/payouts", keep=lambda p: status is None or p["status"] == status, **page
        )

    def spec_retrieve_payout(self):
        return {"expand": EXPAND}

    def do_retrieve_payout(self, account, payout_id, *, expand=()):
        return self._find(payout_id, "payout", account)

    # --- Connected accounts and onboarding -----------------------------------------------------
    def spec_create_account(self):
        requested = Hash({"requested": Bool(required=True)})
        return {
            "type": Enum("express", "standard", "custom", required=True),
            "country": Str(max_length=2),
            "email": Str(),
            "business_type": Enum("individual", "company", "non_profit", "government_entity"),
            "capabilities": Hash({"transfers": requested, "card_payments": requested}),
            "metadata": Metadata(),
            "default_currency": Currency(),
            "expand": EXPAND,
        }

    def do_create_account(self, account, *, type, expand=(), **fields):
        if account:
            raise invalid("A connected account cannot create accounts.")
        account_id = new_id("acct")
        capabilities = {
            name: "inactive" for name, value in (fields.get("capabilities") or {}).items() if value["requested"]
        }
        due = [
            "business_type",
            "external_account",
            "individual.first_name",
            "individual.last_name",
            "tos_acceptance.date",
        ]
        obj = self._store(
            {
                "id": account_id,
                "object": "account",
                "business_profile": {"mcc": None, "name": None, "url": None},
                "business_type": fields.get("business_type"),
                "capabilities": capabilities,
                "charges_enabled": False,
                "controller": {"type": "application", "is_controller": True},
                "country": fields.get("country", "US"),
                "created": now(),
                "default_currency": fields.get("default_currency", "usd"),
                "details_submitted": False,
                "email": fields.get("email"),
                "external_accounts": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "total_count": 0,
                    "url": f"/v1/accounts/{account_id}/external_accounts",
                },
                "metadata": fields.get("metadata", {}),
                "payouts_enabled": False,
                "requirements": {
                    "alternatives": [],
                    "current_deadline": None,
                    "currently_due": list(due),
                    "disabled_reason": "requirements.past_due",
                    "errors": [],
                    "eventually_due": list(due),
                    "past_due": list(due),
                    "pending_verification": [],
                },
                "settings": {"payouts": {"schedule": {"interval": "manual"}}},
                "type": type,
            },
            PLATFORM,
        )
        return obj

    def spec_retrieve_account(self):
        return {"expand": EXPAND}

    def do_retrieve_account(self, account, account_id, *, expand=()):
        return self._find(account_id, "account", PLATFORM)

    def _bank_account(self, account_id):
        return {
            "id": new_id("ba"),
            "object": "bank_account",
            "account": account_id,
            "bank_name": "STRIPE TEST BANK",
            "country": "US",
            "currency": "usd",
            "last4": "6789",
            "status": "new",
            "default_for_currency": True,
        }

    def spec_create_account_link(self):
        return {
            "account": Str(required=True),
            "type": Enum("account_onboarding", "account_update", required=True),
            "refresh_url": Str(required=True),
            "return_url": Str(required=True),
            "collect": Enum("currently_due", "eventually_due"),
            "expand": EXPAND,
        }

    def do_create_account_link(self, owner, *, expand=(), **fields):  # "account" is a parameter here
        target = fields.pop("account")
        self._find(target, "account", PLATFORM, "account")
        token = secrets.token_urlsafe(16)
        created = now()
        self.links[token] = {
            "account": target,
            "created": created,
            "expires_at": created + 300,
            "used": False,
            **fields,
        }
        return {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{self.url}/fake/onboard/{target}/{token}",
        }

    def expire_link(self, url):
        """Make an account link's URL stale (the page then sends the person to ``refresh_url``)."""
        with self.lock:
            self.links[url.rstrip("/").rsplit("/", 1)[1]]["expires_at"] = 0

    # --- Balance -------------------------------------------------------------------------------
    def do_retrieve_balance(self, account, *, expand=()):
        currencies = self.balances[account] or {"usd": 0}
        return {
            "object": "balance",
            "available": [
                {"amount": amount, "currency": cur, "source_types": {"card": amount}}
                for cur, amount in currencies.items()
            ],
            "pending": [{"amount": 0, "currency": cur, "source_types": {"card": 0}} for cur in currencies],
            "livemode": False,
        }

    def spec_retrieve_balance(self):
        return {"expand": EXPAND}

    def spec_list_balance_transactions(self):
        return {**self.LIST, "type": Str(), "source": Str(), "payout": Str(), "currency": Currency()}

    def do_list_balance_transactions(
        self, account, *, expand=(), type=None, source=None, payout=None, currency=None, **page
    ):
        def keep(txn):
            return (
                (type is None or txn["type"] == type)
                and (source is None or txn["source"] == source)
                and (currency is None or txn["currency"] == currency)
            )

        return self._page("balance_transaction", account, "/v1/balance_transactions", keep=keep, **page)

    # --- Events --------------------------------------------------------------------------------
    def spec_list_events(self):
        return {**self.LIST, "type": Str()}

    def do_list_events(self, account, *, expand=(), type=None, limit=10, starting_after=None, ending_before=None):
        events = [e for e in reversed(self.events) if type is None or e["type"] == type]
        if starting_after:
            ids = [e["id"] for e in events]
            events = events[ids.index(starting_after) + 1 :] if starting_after in ids else []
        limit = min(limit, self.page_cap)
        return {"object": "list", "data": events[:limit], "has_more": len(events) > limit, "url": "/v1/events"}

    def spec_retrieve_event(self):
        return {"expand": EXPAND}

    def do_retrieve_event(self, account, event_id, *, expand=()):
        for event in self.events:
            if event["id"] == event_id:
                return event
        raise ApiError(404, f"No such event: '{event_id}'", code="resource_missing", param="id", saved=False)

    # --- The test-only pages (/fake/...) -----------------------------------------------------
    def handle_fake(self, method, path, query, body):
        """``(status, content_type, body, extra_headers)`` for /fake/ routes."""
        with self.lock:
            match = re.fullmatch(r"/fake/3ds/(pi_\w+)", path)
            if match:
                return self._three_d_secure(method, match.group(1), parse_qs(query))
            match = re.fullmatch(r"/fake/onboard/(acct_\w+)/([\w-]+)", path)
            if match:
                return self._onboarding(method, *match.groups(), parse_qs(body or query))
        return 404, "text/plain", b"not found", {}

    def _three_d_secure(self, method, intent_id, query):
        intent = self.objects.get(intent_id)
        if method == "GET":
            if intent is None:
                return 404, "text/plain", b"no such payment", {}
            page = f"""<!doctype html><html><head><title>3D Secure test page</title></head><body>
<h1>3D Secure 2 Test Page</h1><p>Amount: {intent["amount"] / 100:.2f} {html.escape(intent["currency"])}</p>
<form method="post" action="/fake/3ds/{intent_id}?outcome=succeed&redirect=1"><button>Complete</button></form>
<form method="post" action="/fake/3ds/{intent_id}?outcome=fail&redirect=1"><button>Fail</button></form>
</body></html>"""
            return 200, "text/html; charset=utf-8", page.encode(), {}
        outcome = (query.get("outcome") or ["succeed"])[0]
        redirect_to = ((intent or {}).get("next_action") or {}).get("redirect_to_url", {}).get("return_url")
        try:
            result = self._authenticate(intent_id, outcome == "succeed")
        except ApiError as error:
            return error.status, "application/json", json.dumps(error.response()).encode(), {}
        if query.get("redirect") and redirect_to:
            status = "succeeded" if result["status"] == "succeeded" else "failed"
            separator = "&" if "?" in redirect_to else "?"
            location = (
                redirect_to
                + separator
                + urlencode(
                    {
                        "payment_intent": intent_id,
                        "payment_intent_client_secret": result["client_secret"],
                        "redirect_status": status,
                    }
                )
            )
            return 303, "text/plain", b"", {"Location": location}
        return 200, "application/json", json.dumps(result).encode(), {}

    def _onboarding(self, method, account_id, token, form):
        link = self.links.get(token)
        if link is None or link["account"] != account_id:
            return 404, "text/plain", b"no such link", {}
        if link["expires_at"] < now() or (method == "GET" and link["used"]):
            return 303, "text/plain", b"", {"Location": link["refresh_url"]}
        if method == "GET":
            link["used"] = True
            page = f"""<!doctype html><html><head><title>Stripe Express onboarding (test)</title></head><body>
<h1>Set up payouts</h1><p>Account {html.escape(account_id)}</p>
<form method="post"><input type="hidden" name="action" value="complete">
<button>Agree and submit</button></form>
<form method="post"><input type="hidden" name="action" value="leave"><button>Return without finishing</button></form>
</body></html>"""
            return 200, "text/html; charset=utf-8", page.encode(), {}
        if (form.get("action") or ["complete"])[0] == "complete":
            self.onboard(account_id)
        link["expires_at"] = 0  # single use
        return 303, "text/plain", b"", {"Location": link["return_url"]}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle's algorithm on, the body waits for the client's
    # delayed ACK of the headers (about 40 ms on Linux loopback, every request).
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # quiet
        pass

    def _serve(self, method):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            if parts.path == "/v3/" and method == "GET":  # the browser tests' Stripe.js stand-in, for trying by hand
                status, content_type, extra = 200, "application/javascript", {}
                payload = STANDIN.read_text().replace("__FAKE_STRIPE_API__", self.fake.url).encode()
            elif parts.path.startswith("/fake/"):
                status, content_type, payload, extra = self.fake.handle_fake(method, parts.path, parts.query, body)
            else:
                status, response, extra = self.fake.handle(method, parts.path, parts.query, body, headers)
                content_type, payload = "application/json", json.dumps(response).encode()
        except Dropped:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-Id", new_id("req"))
        self._cors()
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _cors(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Stripe-Account")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")

    def do_OPTIONS(self):
        self.send_response(204)
        self._cors()
        self.send_header("Content-Length", "0")
        self.end_headers()
