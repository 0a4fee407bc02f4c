"""The access matrix: every URL pattern of the project × every role, with the outcome expected.

A new URL pattern without a row here fails ``test_every_url_pattern_has_a_row``
(the Django admin's patterns are covered by one rule, see ``ADMIN``).

Outcomes: ``ok`` (200), ``login`` (302 to the login page), ``admin_login``
(302 to the admin's login), ``redirect`` (302/301 anywhere else: a POST that
was handled, or refused with a message), ``404``, ``403``, ``405``, ``400`` (a
refused form shown again with its error, as the order page's forms are).
A private object answers 404 to people who may not see it (no hint that it
exists). Every POST row is also checked to change nothing for a role whose
outcome is not ``redirect``/``ok`` (see ``test_access_matrix``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("anonymous", "buyer", "seller", "other", "support", "admin")


@dataclass(frozen=True)
class Row:
    url: Callable  # world -> path
    expect: dict  # role -> outcome
    method: str = "GET"
    data: Callable | None = None  # world -> POST data
    ids: tuple = ()  # the object ids the URL names: (kwarg, world object attribute) for IDOR swaps
    public_ids: frozenset = field(default_factory=frozenset)  # ids anyone may name (public objects)


def every(outcome):
    return {role: outcome for role in ROLES}


def signed_in(outcome="ok", **overrides):
    """Anonymous people are sent to log in; everyone signed in gets ``outcome`` unless overridden."""
    return {"anonymous": "login", **{role: outcome for role in ROLES[1:]}, **overrides}


def parties(outcome="ok", *, staff="404", other="404"):
    """Only the buyer and the seller (``staff``: what support and admins get)."""
    return {"anonymous": "login", "buyer": outcome, "seller": outcome, "other": other, "support": staff, "admin": staff}


def staff_only(outcome="ok"):
    return {**every("404"), "support": outcome, "admin": outcome}


def post(url, expect, data=None, **kwargs):
    return Row(url=url, expect=expect, method="POST", data=data, **kwargs)


MATRIX = {
    # --- site --------------------------------------------------------------------------
    "": Row(lambda w: "/", every("ok")),
    "healthz": Row(lambda w: "/healthz", every("ok")),
    # --- accounts (allauth) ---------------------------------------------------------------
    "accounts/login/": Row(lambda w: "/accounts/login/", {**every("redirect"), "anonymous": "ok"}),
    "accounts/logout/": Row(lambda w: "/accounts/logout/", {**every("ok"), "anonymous": "redirect"}),
    "accounts/inactive/": Row(lambda w: "/accounts/inactive/", every("ok")),
    "accounts/signup/": Row(lambda w: "/accounts/signup/", {**every("redirect"), "anonymous": "ok"}),
    "accounts/reauthenticate/": Row(lambda w: "/accounts/reauthenticate/", signed_in()),
    "accounts/email/": Row(lambda w: "/accounts/email/", signed_in()),
    "accounts/confirm-email/": Row(lambda w: "/accounts/confirm-email/", every("ok")),
    "accounts/password/change/": Row(lambda w: "/accounts/password/change/", signed_in()),
    "accounts/password/set/": Row(lambda w: "/accounts/password/set/", signed_in("redirect")),
    "accounts/password/reset/": Row(lambda w: "/accounts/password/reset/", every("ok")),
    # no login code is pending: sent back to log in, or on (already logged in)
    "accounts/login/code/confirm/": Row(
        lambda w: "/accounts/login/code/confirm/", {**every("redirect"), "anonymous": "login"}
    ),
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": Row(lambda w: "/accounts/confirm-email/not-a-key/", every("ok")),
    "accounts/password/reset/key/done/": Row(lambda w: "/accounts/password/reset/key/done/", every("ok")),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": Row(
        lambda w: "/accounts/password/reset/key/1-not-a-key/", every("ok")
    ),
    "accounts/password/reset/done/": Row(lambda w: "/accounts/password/reset/done/", every("ok")),
    # --- two-factor authentication (allauth.mfa) ---------------------------------------------
    # Pages that change a factor first ask for the password again (allauth's reauthentication, which a
    # session made by force_login never did): "redirect". Support and admin have an authenticator app and
    # recovery codes (tests/factories.py); the others have none, so there is nothing to remove or show.
    "accounts/2fa/": Row(lambda w: "/accounts/2fa/", signed_in()),
    # no login is waiting for its second step: back to log in, or on to the dashboard
    "accounts/2fa/authenticate/": Row(
        lambda w: "/accounts/2fa/authenticate/", signed_in("redirect", anonymous="login")
    ),
    "accounts/2fa/reauthenticate/": Row(
        lambda w: "/accounts/2fa/reauthenticate/", signed_in("redirect", support="ok", admin="ok")
    ),
    "accounts/2fa/totp/activate/": Row(lambda w: "/accounts/2fa/totp/activate/", signed_in("redirect")),
    "accounts/2fa/totp/deactivate/": Row(
        lambda w: "/accounts/2fa/totp/deactivate/", signed_in("404", support="redirect", admin="redirect")
    ),
    "accounts/2fa/recovery-codes/": Row(
        lambda w: "/accounts/2fa/recovery-codes/", signed_in("404", support="redirect", admin="redirect")
    ),
    "accounts/2fa/recovery-codes/generate/": Row(
        lambda w: "/accounts/2fa/recovery-codes/generate/", signed_in("redirect")
    ),
    "accounts/2fa/recovery-codes/download/": Row(
        lambda w: "/accounts/2fa/recovery-codes/download/", signed_in("404", support="redirect", admin="redirect")
    ),
    "accounts/2fa/webauthn/": Row(lambda w: "/accounts/2fa/webauthn/", signed_in()),
    "accounts/2fa/webauthn/add/": Row(lambda w: "/accounts/2fa/webauthn/add/", signed_in("redirect")),
    "accounts/2fa/webauthn/reauthenticate/": Row(
        lambda w: "/accounts/2fa/webauthn/reauthenticate/", signed_in("redirect")
    ),
    # nobody in the world has a security key: an id that is no one's key (reauthentication comes first)
    "accounts/2fa/webauthn/keys/<int:pk>/remove/": Row(
        lambda w: "/accounts/2fa/webauthn/keys/1/remove/", signed_in("redirect")
    ),
    "accounts/2fa/webauthn/keys/<int:pk>/edit/": Row(
        lambda w: "/accounts/2fa/webauthn/keys/1/edit/", signed_in("redirect")
    ),
    # --- people -----------------------------------------------------------------------------
    "profile/": Row(lambda w: "/profile/", signed_in()),
    "users/<id:user_id>/avatar": Row(
        lambda w: f"/users/{w.users['seller'].pk}/avatar",
        every("ok"),
        ids=(("user_id", "seller_user"),),
        public_ids=frozenset({"user_id"}),
    ),
    "sellers/<id:pk>/": Row(
        lambda w: f"/sellers/{w.users['seller'].pk}/",
        every("ok"),
        ids=(("pk", "seller_user"),),
        public_ids=frozenset({"pk"}),
    ),
    # --- gigs ---------------------------------------------------------------------------------
    "gigs/": Row(lambda w: "/gigs/?q=logo", every("ok")),
    "gigs/<id:pk>/": Row(
        lambda w: f"/gigs/{w.gig.pk}/", every("redirect"), ids=(("pk", "gig"),), public_ids=frozenset({"pk"})
    ),
    "gigs/<slug:slug>/": Row(lambda w: f"/gigs/{w.gig.slug}/", every("ok")),
    "gigs/<slug:slug>/contact/": Row(lambda w: f"/gigs/{w.gig.slug}/contact/", signed_in()),
    "gigs/<slug:slug>/request-offer/": Row(lambda w: f"/gigs/{w.gig.slug}/request-offer/", signed_in()),
    "gig-images/<id:pk>/<str:variant>.jpg": Row(
        lambda w: f"/gig-images/{w.gig_image.pk}/thumb.jpg",
        every("ok"),
        ids=(("pk", "gig_image"),),
        public_ids=frozenset({"pk"}),
    ),
    "selling/gigs/": Row(lambda w: "/selling/gigs/", signed_in()),
    "selling/gigs/new/": Row(lambda w: "/selling/gigs/new/", signed_in()),
    "selling/gigs/<id:pk>/edit/": Row(
        lambda w: f"/selling/gigs/{w.gig.pk}/edit/", signed_in("404", seller="ok"), ids=(("pk", "gig"),)
    ),
    "selling/gigs/<id:pk>/pause/": post(
        lambda w: f"/selling/gigs/{w.gig.pk}/pause/", signed_in("404", seller="redirect"), ids=(("pk", "gig"),)
    ),
    "selling/gigs/<id:pk>/activate/": post(
        lambda w: f"/selling/gigs/{w.gig.pk}/activate/", signed_in("404", seller="redirect"), ids=(("pk", "gig"),)
    ),
    "selling/gigs/<id:pk>/delete/": post(
        lambda w: f"/selling/gigs/{w.gig.pk}/delete/", signed_in("404", seller="redirect"), ids=(("pk", "gig"),)
    ),
    # --- inbox ----------------------------------------------------------------------------------
    "inbox/": Row(lambda w: "/inbox/", signed_in()),
    "inbox/<id:pk>/": Row(lambda w: f"/inbox/{w.conversation.pk}/", parties(), ids=(("pk", "conversation"),)),
    "inbox/<id:pk>/files/<id:attachment_pk>/": Row(
        lambda w: f"/inbox/{w.conversation.pk}/files/{w.attachment.pk}/",
        parties(),
        ids=(("pk", "conversation"), ("attachment_pk", "attachment")),
    ),
    # --- orders ------------------------------------------------------------------------------------
    "orders/<id:pk>/": Row(lambda w: f"/orders/{w.order.pk}/", parties(staff="ok"), ids=(("pk", "order"),)),
    "orders/<id:pk>/add-milestone": post(
        lambda w: f"/orders/{w.order.pk}/add-milestone",
        parties("redirect", staff="400"),
        data=lambda w: {
            "add-title": "Extra",
            "add-description": "More work",
            "add-amount": "50.00",
            "add-delivery_days": "3",
            "add-revisions_allowed": "1",
        },
        ids=(("pk", "order"),),
    ),
    "orders/<id:pk>/stop": post(
        lambda w: f"/orders/{w.order.pk}/stop", parties("400", staff="400"), ids=(("pk", "order"),)
    ),
    "orders/<id:pk>/review": post(
        lambda w: f"/orders/{w.order_completed.pk}/review",
        {**parties("redirect", staff="400"), "buyer": "400"},  # the buyer has reviewed already
        data=lambda w: {"rating": "4", "text": "Fine."},
        ids=(("pk", "order_completed"),),
    ),
    "orders/<id:pk>/tip": post(
        lambda w: f"/orders/{w.order_completed.pk}/tip",
        {**parties("redirect", staff="400"), "seller": "400"},  # only the buyer tips
        data=lambda w: {"amount": "5.00"},
        ids=(("pk", "order_completed"),),
    ),
    "reviews/<id:pk>/reply": post(
        lambda w: f"/reviews/{w.review.pk}/reply",
        parties("400", staff="400"),
        data=lambda w: {"reply": "Thank you!"},
        ids=(("pk", "review"),),
    ),
    "milestones/<id:pk>/<slug:action>": post(
        lambda w: f"/milestones/{w.milestone.pk}/approve",
        {**parties("redirect"), "seller": "400"},  # only the buyer approves
        data=lambda w: {"expected_state": "delivered"},
        ids=(("pk", "milestone"),),
    ),
    "requests/<slug:kind>/<id:pk>/decide": post(
        lambda w: f"/requests/extension/{w.extension.pk}/decide",
        {**parties("redirect"), "seller": "400"},  # the seller asked: they may only withdraw
        data=lambda w: {"decision": "accept"},
        ids=(("pk", "extension"),),
    ),
    "deliveries/files/<id:pk>": Row(
        lambda w: f"/deliveries/files/{w.delivery_file.pk}", parties(staff="ok"), ids=(("pk", "delivery_file"),)
    ),
    "conversations/<id:conversation_pk>/offer": Row(
        lambda w: f"/conversations/{w.conversation.pk}/offer", parties(), ids=(("conversation_pk", "conversation"),)
    ),
    "offers/<id:pk>/counter": Row(lambda w: f"/offers/{w.offer.pk}/counter", parties(), ids=(("pk", "offer"),)),
    "offers/<id:pk>/<slug:decision>": post(
        lambda w: f"/offers/{w.offer.pk}/decline", parties("redirect"), ids=(("pk", "offer"),)
    ),
    "gigs/<id:gig_pk>/order/<slug:tier>": post(
        lambda w: f"/gigs/{w.gig.pk}/order/basic",
        signed_in("redirect"),
        ids=(("gig_pk", "gig"),),
        public_ids=frozenset({"gig_pk"}),
    ),
    "help/milestones/": Row(lambda w: "/help/milestones/", every("ok")),
    # an open page's poll (JSON): signed out 403 (no login page for a script); watching an order, only those
    # who may open it (tests/orders/test_live.py tries conversations, other ids and odd values)
    "live/": Row(lambda w: f"/live/?o={w.order.pk}", {**parties(staff="ok"), "anonymous": "403"}),
    # --- disputes (parties) ----------------------------------------------------------------------
    "milestones/<id:pk>/dispute/open": Row(
        lambda w: f"/milestones/{w.milestone.pk}/dispute/open", parties(), ids=(("pk", "milestone"),)
    ),
    "milestones/<id:pk>/dispute/": Row(
        lambda w: f"/milestones/{w.disputed_milestone.pk}/dispute/",
        parties("redirect", staff="redirect"),
        ids=(("pk", "disputed_milestone"),),
    ),
    "disputes/<id:pk>/": Row(lambda w: f"/disputes/{w.dispute.pk}/", parties(staff="ok"), ids=(("pk", "dispute"),)),
    "disputes/<id:pk>/<slug:action>": post(
        lambda w: f"/disputes/{w.dispute.pk}/message",
        parties("redirect"),
        data=lambda w: {"body": "Any news?"},
        ids=(("pk", "dispute"),),
    ),
    "settlements/<id:pk>/<slug:decision>": post(
        lambda w: f"/settlements/{w.proposal.pk}/decline", parties("redirect"), ids=(("pk", "proposal"),)
    ),
    "disputes/files/<id:pk>": Row(
        lambda w: f"/disputes/files/{w.dispute_attachment.pk}",
        parties(staff="ok"),
        ids=(("pk", "dispute_attachment"),),
    ),
    # --- dashboard and notifications ------------------------------------------------------------------
    "dashboard/": Row(lambda w: "/dashboard/", signed_in()),
    "notifications/": Row(lambda w: "/notifications/", signed_in()),
    "notifications/read": post(lambda w: "/notifications/read", signed_in("redirect")),
    # --- payments ---------------------------------------------------------------------------------
    "payments/checkout/<uuid:checkout_uuid>/": Row(
        lambda w: f"/payments/checkout/{w.open_checkout.uuid}/",
        {**parties(), "seller": "404"},
        ids=(("checkout_uuid", "open_checkout"),),
    ),
    "payments/history/": Row(lambda w: "/payments/history/", signed_in()),
    "payments/receipts/<uuid:checkout_uuid>/": Row(
        lambda w: f"/payments/receipts/{w.paid_checkout.uuid}/",
        {**parties(staff="ok"), "seller": "404"},
        ids=(("checkout_uuid", "paid_checkout"),),
    ),
    "payments/earnings/": Row(lambda w: "/payments/earnings/", signed_in()),
    # With the sandbox (this world's provider) there are no payout accounts and no Stripe webhooks: the Stripe
    # provider's pages are tried in tests/payments/test_stripe_views.py.
    "payments/earnings/payout-account/": post(lambda w: "/payments/earnings/payout-account/", signed_in("404")),
    "payments/earnings/payout-account/return/": Row(
        lambda w: "/payments/earnings/payout-account/return/", signed_in("redirect")
    ),
    "payments/earnings/payout-account/refresh/": Row(
        lambda w: "/payments/earnings/payout-account/refresh/", signed_in("redirect")
    ),
    "payments/stripe/webhook": post(lambda w: "/payments/stripe/webhook", every("404")),
    "payments/tip/<id:seller_id>/": Row(
        lambda w: f"/payments/tip/{w.users['seller'].pk}/",
        signed_in(),
        ids=(("seller_id", "seller_user"),),
        public_ids=frozenset({"seller_id"}),
    ),
    # --- the staff Resolution Center --------------------------------------------------------------------
    "staff/disputes/": Row(lambda w: "/staff/disputes/", staff_only()),
    "staff/disputes/<id:pk>/": Row(
        lambda w: f"/staff/disputes/{w.dispute.pk}/", staff_only(), ids=(("pk", "dispute"),)
    ),
    "staff/disputes/<id:pk>/resolve": post(
        lambda w: f"/staff/disputes/{w.dispute.pk}/resolve",
        staff_only("400"),
        data=lambda w: {"outcome": "refund", "decision": ""},
        ids=(("pk", "dispute"),),
    ),
    "staff/disputes/<id:pk>/message": post(
        lambda w: f"/staff/disputes/{w.dispute.pk}/message",
        staff_only("redirect"),
        data=lambda w: {"body": "Support here."},
        ids=(("pk", "dispute"),),
    ),
    "staff/disputes/<id:pk>/conversation-files/<id:attachment_pk>": Row(
        lambda w: f"/staff/disputes/{w.dispute.pk}/conversation-files/{w.attachment.pk}",
        staff_only(),
        ids=(("pk", "dispute"), ("attachment_pk", "attachment")),
    ),
}

# The Django admin: every pattern under admin/ is the admin site's; who may open what follows
# from is_staff and the model permissions (support staff: the "Support" group's view permissions).
ADMIN = "admin/"
