"""A repeated POST creates once: every form that creates something carries a one-time key.

The defect: two simultaneous POSTs of the same offer form created two offers (accepting both made two
orders), and messages likewise. Generated from the URL resolver: every view that accepts a POST is either
wrapped in ``accounts.once.once_per_form_key`` or listed in ``EXEMPT`` with the reason it cannot repeat
anything; every wrapped view has a recipe below, and a second POST with the same key changes nothing.
"""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import resolve

from accounts.models import FormSubmission
from accounts.once import ALREADY_SENT, FIELD, new_key
from marketplace.models import Category, Gig, Message
from milestones.models import Order
from orders import disputes
from orders import services as order_services
from orders.models import Dispute, DisputeMessage, Offer, Review
from payments.models import Checkout
from tests.factories import UserFactory, recovery_codes
from tests.marketplace.conftest import image_file
from tests.orders.builders import approve, deliver, fund, make_order, ms

from .conftest import fingerprint, url_patterns
from .matrix import ADMIN, MATRIX
from .test_access import rolled_back
from .world import build_world

pytestmark = pytest.mark.django_db

# Views that take a POST but cannot create anything twice, and why.
EXEMPT = {
    "payments/checkout/<uuid:checkout_uuid>/": "the checkout is claimed before the card is charged (one payment)",
    "payments/earnings/": "the withdraw form carries its own idempotency key (one payout)",
    "payments/earnings/payout-account/": "one payout account per seller (get or create, and the provider's key "
    "per seller); it only asks the provider for a setup link",
    "payments/stripe/webhook": "each event is stored once under its id and acted on once",
    "selling/gigs/<id:pk>/edit/": "edits a gig in place (the same edit twice is the same gig)",
    "selling/gigs/<id:pk>/pause/": "sets a status (idempotent)",
    "selling/gigs/<id:pk>/activate/": "sets a status (idempotent)",
    "selling/gigs/<id:pk>/delete/": "sets a status (idempotent)",
    "profile/": "edits the profile in place",
    "notifications/read": "marks notifications read (idempotent)",
}
ALLAUTH = "accounts/"  # sign-in, sign-up, password and email forms: allauth's own, each idempotent or unique


def _plan_form(prefix="plan"):
    return {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "6",
        f"{prefix}-0-title": "Logo",
        f"{prefix}-0-description": "Three concepts",
        f"{prefix}-0-amount": "150.00",
        f"{prefix}-0-delivery_days": "3",
        f"{prefix}-0-revisions_allowed": "1",
        "note": "",
    }


def _gig_form(world):
    return {
        "title": "I will write your product descriptions",
        "category": Category.objects.get(slug="logo-design").pk,
        "tags": "copy",
        "description": "Clear product copy that sells, written for your shop.",
        "pricing": "simple",
        "price": "40",
        "delivery_days": "3",
        "images": [SimpleUploadedFile("logo.png", image_file().read(), content_type="image/png")],
    }


def _disputable(world):
    order = make_order(10000, buyer=world.users["buyer"], seller=world.users["seller"])
    return fund(ms(order, 1))


def _stoppable(world):
    order = make_order(5000, 10000, buyer=world.users["buyer"], seller=world.users["seller"])
    approve(deliver(fund(ms(order, 1))))
    return order


def _published_review(world):
    order_services.review_submit(order_id=world.order_completed.pk, author=world.users["seller"], rating=5, text="Ok")
    return world.review


def _answered_dispute(world):
    disputes.dispute_answer(dispute_id=world.dispute.pk, actor=world.users["seller"], body="The logo is as agreed.")
    return world.dispute


# For each view that is once per key: who posts, where, what (from the world), and the rows it creates.
# A new wrapped view fails test_every_wrapped_view_has_a_recipe until it is listed here.
RECIPES = {
    "conversations/<id:conversation_pk>/offer": (
        "seller",
        lambda w: f"/conversations/{w.conversation.pk}/offer",
        lambda w: _plan_form(),
        Offer,
    ),
    "offers/<id:pk>/counter": ("buyer", lambda w: f"/offers/{w.offer.pk}/counter", lambda w: _plan_form(), Offer),
    "offers/<id:pk>/<slug:decision>": ("buyer", lambda w: f"/offers/{w.offer.pk}/accept", lambda w: {}, Order),
    "inbox/<id:pk>/": ("buyer", lambda w: f"/inbox/{w.conversation.pk}/", lambda w: {"body": "Hello again"}, Message),
    "gigs/<slug:slug>/contact/": (
        "other",
        lambda w: f"/gigs/{w.gig.slug}/contact/",
        lambda w: {"body": "Is this available?"},
        Message,
    ),
    "gigs/<slug:slug>/request-offer/": (
        "other",
        lambda w: f"/gigs/{w.gig.slug}/request-offer/",
        lambda w: {"description": "I need a logo for my bakery.", "budget": "", "deadline": ""},
        Message,
    ),
    "selling/gigs/new/": ("seller", lambda w: "/selling/gigs/new/", _gig_form, Gig),
    "orders/<id:pk>/add-milestone": (
        "buyer",
        lambda w: f"/orders/{w.order.pk}/add-milestone",
        MATRIX["orders/<id:pk>/add-milestone"].data,
        None,
    ),
    "gigs/<id:gig_pk>/order/<slug:tier>": ("other", lambda w: f"/gigs/{w.gig.pk}/order/basic", lambda w: {}, Checkout),
    "orders/<id:pk>/review": (
        "seller",
        lambda w: f"/orders/{w.order_completed.pk}/review",
        lambda w: {"rating": "5", "text": "A pleasure."},
        Review,
    ),
    "reviews/<id:pk>/reply": (
        "seller",
        lambda w: f"/reviews/{_published_review(w).pk}/reply",
        lambda w: {"reply": "Thanks"},
        None,
    ),
    "orders/<id:pk>/tip": (
        "buyer",
        lambda w: f"/orders/{w.order_completed.pk}/tip",
        lambda w: {"amount": "5.00"},
        Checkout,
    ),
    "payments/tip/<id:seller_id>/": (
        "buyer",
        lambda w: f"/payments/tip/{w.users['seller'].pk}/",
        lambda w: {"amount": "7.00", "note": ""},
        Checkout,
    ),
    "orders/<id:pk>/stop": ("buyer", lambda w: f"/orders/{_stoppable(w).pk}/stop", lambda w: {}, None),
    "milestones/<id:pk>/<slug:action>": (
        "seller",
        lambda w: f"/milestones/{w.order_in_progress.milestones.get().pk}/deliver",
        lambda w: {"message": "Done", "links": "", "expected_state": "in_progress"},
        None,
    ),
    "requests/<slug:kind>/<id:pk>/decide": (
        "buyer",
        lambda w: f"/requests/extension/{w.extension.pk}/decide",
        lambda w: {"decision": "accept"},
        None,
    ),
    "milestones/<id:pk>/dispute/open": (
        "buyer",
        lambda w: f"/milestones/{_disputable(w).pk}/dispute/open",
        lambda w: {"reason": "quality", "description": "Not what we agreed."},
        Dispute,
    ),
    "disputes/<id:pk>/<slug:action>": (
        "buyer",
        lambda w: f"/disputes/{w.dispute.pk}/message",
        lambda w: {"body": "Any news?"},
        DisputeMessage,
    ),
    "settlements/<id:pk>/<slug:decision>": (
        "buyer",
        lambda w: f"/settlements/{w.proposal.pk}/accept",
        lambda w: {},
        None,
    ),
    "staff/disputes/<id:pk>/resolve": (
        "support",
        lambda w: f"/staff/disputes/{_answered_dispute(w).pk}/resolve",
        lambda w: {
            "outcome": "refund",
            "decision": "Refunded: the work was not delivered as agreed.",
            "second_factor_code": recovery_codes(w.users["support"])[0],  # a decision moves money: asked again
        },
        None,
    ),
    "staff/disputes/<id:pk>/message": (
        "support",
        lambda w: f"/staff/disputes/{w.dispute.pk}/message",
        lambda w: {"body": "Support here."},
        DisputeMessage,
    ),
}


def _routes_and_views():
    return [(route, view) for route, view in url_patterns() if not route.startswith(ADMIN)]


def _client(user):
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def test_every_view_that_takes_a_post_is_once_per_key_or_says_why():
    world = build_world()
    missing = []
    for route, view in _routes_and_views():
        if route.startswith(ALLAUTH) or getattr(view, "once_per_form_key", False) or route in EXEMPT:
            continue
        row = MATRIX[route]
        # as someone who may open it (the matrix says who), so that a 404 for outsiders hides nothing
        role = next((r for r in ("seller", "buyer", "support") if row.expect[r] in ("ok", "redirect")), "seller")
        with rolled_back():
            client = Client(raise_request_exception=False)
            client.force_login(world.users[role])
            status = client.post(row.url(world), {}).status_code
        if status != 405:
            missing.append(f"{route} (POST answered {status})")
    assert not missing, (
        "views that take a POST but are neither @once_per_form_key nor in EXEMPT with a reason:\n" + "\n".join(missing)
    )


def test_every_wrapped_view_has_a_recipe():
    wrapped = {route for route, view in _routes_and_views() if getattr(view, "once_per_form_key", False)}
    assert wrapped == set(RECIPES), (sorted(wrapped - set(RECIPES)), sorted(set(RECIPES) - wrapped))
    assert not wrapped & set(EXEMPT)


@pytest.mark.parametrize("route", sorted(RECIPES))
def test_the_same_form_sent_twice_is_carried_out_once(route):
    role, url, data, created = RECIPES[route]
    world = build_world()
    client = _client(world.users[role])
    path, body = url(world), {**data(world), FIELD: new_key()}
    assert resolve(path.split("?")[0]).route == route

    first = client.post(path, body)
    assert first.status_code in (302, 303), (route, first.status_code, first.content[:500])
    errors = [str(m) for m in first.wsgi_request._messages if "error" in m.tags]
    assert not errors, (route, errors)
    count = created.objects.count() if created else None
    after_first = fingerprint()

    if "images" in body:  # an upload is read once: send a new copy of the same file
        body["images"] = [SimpleUploadedFile("logo.png", image_file().read(), content_type="image/png")]
    second = client.post(path, body)

    assert second.status_code == 302 and second["Location"] == first["Location"], route
    assert fingerprint() == after_first, route
    if created:
        assert created.objects.count() == count, route
    assert ALREADY_SENT in client.get(second["Location"], follow=True).content.decode()


def test_a_refused_form_releases_its_key_so_the_corrected_form_can_be_sent():
    world = build_world()
    client = _client(world.users["seller"])
    key = new_key()
    path = f"/conversations/{world.conversation.pk}/offer"
    bad = {**_plan_form(), "plan-0-amount": "abc", FIELD: key}
    assert client.post(path, bad).status_code == 200
    assert not FormSubmission.objects.filter(key=key).exists()
    good = {**_plan_form(), FIELD: key}
    before = Offer.objects.count()
    assert client.post(path, good).status_code == 302
    assert Offer.objects.count() == before + 1


def test_every_form_on_the_pages_carries_a_key_of_its_own():
    world = build_world()
    client = _client(world.users["seller"])
    keys = []
    for path in (
        f"/orders/{world.order_in_progress.pk}/",
        f"/inbox/{world.conversation.pk}/",
        f"/gigs/{world.gig.slug}/",
    ):
        page = client.get(path).content.decode()
        forms = page.count('method="post"')
        found = page.count(f'name="{FIELD}"')
        assert found >= forms - 1, (path, forms, found)  # the log-out form in the frame has none
        keys += [chunk.split('"')[0] for chunk in page.split(f'name="{FIELD}" value="')[1:]]
    assert len(keys) == len(set(keys)), "two forms share a key"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["offer", "message"])
def test_two_identical_posts_at_the_same_moment_create_once(require_postgres, what):
    buyer, seller = UserFactory(), UserFactory()
    from marketplace import services as marketplace

    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    if what == "offer":
        path, body, model, user = f"/conversations/{conversation.pk}/offer", _plan_form(), Offer, seller
    else:
        path, body, model, user = f"/inbox/{conversation.pk}/", {"body": "Same message"}, Message, buyer
    for _ in range(5):
        body = {**body, FIELD: new_key()}
        before = model.objects.count()
        barrier = threading.Barrier(2)
        statuses = []

        def send(body=body, barrier=barrier, statuses=statuses):
            try:
                client = _client(user)
                barrier.wait(timeout=10)
                statuses.append(client.post(path, body).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        close_old_connections()
        assert statuses == [302, 302]
        assert model.objects.count() == before + 1
