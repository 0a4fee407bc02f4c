"""Every form of the app and how to submit it: the list the fuzz suite walks.

``discover_forms()`` finds the forms from the app itself: every form and
formset class defined in a module of a project app (or of ``config``), and the
``form_class`` of every class-based view the URLconf routes to (allauth's
sign-up, login and password forms). Each must appear in a ``Submission``'s
``forms`` or in ``NOT_POSTED`` with a reason; a form added without an entry
fails ``test_every_form_has_a_fuzz_entry`` (as a URL without a row fails the
access matrix, ``tests/security/matrix.py``).

A ``Submission`` is one way to post a form through a real view: the URL, who
posts, the setup that makes the form meaningful (objects made once per test on
top of the shared world of ``tests/security/world.py``), a good submission
(``valid``: it must be accepted), and, for forms that take amounts, where the
accepted amounts are stored (``stored``), so the suite can compare them with
what ``config.money`` reads from what was posted.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.apps import apps
from django.conf import settings

from accounts.forms import ProfileForm
from accounts.models import Notification
from config import clock, limits
from config.money import AmountField
from marketplace.models import Category, Gig, GigPackage, Message
from milestones.models import Milestone, PlanChange
from orders.models import Dispute, Offer, Review, SettlementProposal
from payments.models import Checkout, Payout
from tests.factories import PASSWORD, UserFactory, enrol_totp, recovery_codes

PROJECT_PACKAGES = ("config", "accounts", "marketplace", "orders", "milestones", "payments")


# --- discovery -----------------------------------------------------------------------------------
def _is_form_class(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, forms.BaseForm | forms.BaseFormSet)


def _project_modules():
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if ".migrations" in info.name:
                continue
            yield importlib.import_module(info.name)


def discover_forms() -> dict[str, type]:
    """``"module.Class"`` → class, for every form the app defines or routes to."""
    found = {}
    for module in _project_modules():
        for obj in vars(module).values():
            if _is_form_class(obj) and obj.__module__.split(".")[0] in PROJECT_PACKAGES:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    from tests.security.conftest import url_patterns

    for route, view in url_patterns():
        form_class = getattr(getattr(view, "view_class", None), "form_class", None)
        if route.startswith("admin/") or form_class is None:
            continue
        # allauth views may take their form from ACCOUNT_FORMS; follow the view's own choice
        get_form_class = getattr(view.view_class, "get_form_class", None)
        if get_form_class is not None:
            try:
                form_class = get_form_class(view.view_class()) or form_class
            except Exception:  # noqa: BLE001, S110 - a view that needs a request to choose keeps its class
                pass
        found[f"{form_class.__module__}.{form_class.__qualname__}"] = form_class
    return found


def project_tables() -> list[str]:
    """Every table whose rows a form could create: the project's apps and allauth's accounts."""
    labels = {"accounts", "marketplace", "orders", "milestones", "payments", "account"}
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in labels and model._meta.managed and not model._meta.proxy
    )


# --- how a form is posted ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Submission:
    name: str
    forms: tuple  # the form classes this request posts
    url: Callable  # ctx -> path
    user: str | None  # who posts: a role of the world, "fresh" (the setup's own user) or None (anonymous)
    fields: Callable  # ctx -> {posted name: form field, or None for a raw POST key the view reads}
    valid: Callable  # ctx -> a good submission (accepted)
    method: str = "POST"
    setup: Callable | None = None  # world -> {name: object}, made once per test (rolled back after it)
    prepare: Callable | None = None  # (client, ctx) -> the path to post to (e.g. after a GET that sets the session)
    watch: Callable | None = None  # ctx -> rows an accepted submission updates in place
    stored: Callable | None = None  # (ctx, posted) -> {posted amount field: stored cents} after acceptance
    amounts: Callable | None = None  # (ctx, posted, overridden) -> the posted amount fields the form reads
    accepted: Callable | None = None  # response -> accepted although no row changed (login, password reset)
    max_examples: int = 20


class Ctx:
    """The shared world plus the objects of one submission's setup."""

    def __init__(self, world, extra):
        self.world, self.extra, self.users = world, extra, world.users

    def __getattr__(self, name):
        if name in self.extra:
            return self.extra[name]
        return getattr(self.world, name)


def fields_of(form) -> dict:
    """Posted name → field of an unbound form (or formset: its management form and every form)."""
    if isinstance(form, forms.BaseFormSet):
        out = fields_of(form.management_form)
        for each in form.forms:
            out.update(fields_of(each))
        return out
    return {bound.html_name: bound.field for bound in form}


def raw(*names):
    return dict.fromkeys(names)


def latest(model, **filters):
    return model.objects.filter(**filters).order_by("-pk").first()


def amount_keys(fields: dict) -> list[str]:
    return [name for name, f in fields.items() if isinstance(f, AmountField)]


# --- setups --------------------------------------------------------------------------------------------
def _fresh_in_progress(world):
    from tests.orders.builders import fund, make_order, ms

    order = make_order(10000, buyer=world.users["buyer"], seller=world.users["seller"])
    return {"working": fund(ms(order, 1))}


def _fresh_unstarted(world):
    from tests.orders.builders import make_order, ms

    order = make_order(10000, 20000, buyer=world.users["buyer"], seller=world.users["seller"])
    return {"unstarted": ms(order, 2)}


def _dispute_answered(world):
    from orders import disputes

    disputes.dispute_answer(dispute_id=world.dispute.pk, actor=world.users["seller"], body="The logo is fine.")
    return {}


def _reviews_published(world):
    from orders import services as order_services

    order_services.review_submit(
        order_id=world.order_completed.pk, author=world.users["seller"], rating=5, text="A pleasure."
    )
    return {}


def _earnings_available(world):
    from payments import services as payments

    payments.earnings_clear(now=clock.now() + timedelta(days=settings.PAYMENTS_CLEARANCE_DAYS + 1))
    return {}


def _seller_with_a_second_factor(world):
    enrol_totp(world.users["seller"])
    return _earnings_available(world)


def _recovery_code(role):
    """An unused recovery code of ``role`` (each example is rolled back, so the same code is unused again)."""
    return lambda c: recovery_codes(c.users[role])[0]


def _pending_login(role):
    """Log ``role`` in with the password: the login then waits for the second factor's code."""

    def prepare(client, ctx):
        user = ctx.users[role]
        response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert response["Location"] == "/accounts/2fa/authenticate/", "the login did not ask for the code"
        return "/accounts/2fa/authenticate/"

    return prepare


def _no_password(world):
    user = UserFactory(display_name="Una Unset")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return {"fresh": user}


def _reset_link(world):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    user = type(world.users["other"]).objects.get(pk=world.users["other"].pk)  # its last_login as stored now
    uidb36 = user_pk_to_url_str(user)
    return {
        "reset_key_path": f"/accounts/password/reset/key/{uidb36}-{default_token_generator.make_token(user)}/",
        "reset_set_path": f"/accounts/password/reset/key/{uidb36}-set-password/",
    }


def _open_reset_link(client, ctx):
    response = client.get(ctx.reset_key_path)
    assert response.status_code == 302 and response["Location"] == ctx.reset_set_path, "the reset link is not valid"
    return ctx.reset_set_path


# --- the forms' own helpers -------------------------------------------------------------------------------
def _tree():
    from marketplace.selectors import category_tree

    return category_tree()


def _gig_fields(ctx, gig=None):
    from marketplace.forms import GigForm

    form = GigForm(tree=_tree(), gig=gig)
    out = fields_of(form)
    out.pop("images", None)  # files: tests/security/test_uploads.py
    for package in form.packages:
        out.update(fields_of(package))
        for row in package.plan_rows:
            out.update(fields_of(row))
    return out


def _logo_design_pk():
    return str(Category.objects.get(slug="logo-design").pk)


def _gig_valid(pricing, plan=False):
    def valid(ctx):
        data = {
            "title": "I will draw a friendly mascot for your brand",
            "category": _logo_design_pk(),
            "description": "Two sketches, one final drawing in colour, and the source files.",
            "tags": "mascot, drawing",
            "pricing": pricing,
            "price": "120",
            "delivery_days": "5",
            "offers_milestones": "on",
        }
        if pricing == "packages":
            for tier, price, days in (("basic", "100", 3), ("standard", "1,200.50", 5), ("premium", "$4,000", 10)):
                data.update(
                    {
                        f"{tier}-name": f"{tier.title()} plan",
                        f"{tier}-description": f"The {tier} package.",
                        f"{tier}-price": price,
                        f"{tier}-delivery_days": str(days),
                        f"{tier}-revisions": "2",
                        f"{tier}-features": "Source files\nCommercial use",
                    }
                )
        if plan:  # the standard package ($1,200.50 in 5 days) in three milestones
            for i, (title, amount, days) in enumerate(
                (("Sketches", "200.50", 1), ("Draft", "$400", 2), ("Final", "600", 2))
            ):
                data.update(
                    {
                        f"standard-plan-{i}-title": title,
                        f"standard-plan-{i}-description": f"The {title.lower()}.",
                        f"standard-plan-{i}-amount": amount,
                        f"standard-plan-{i}-delivery_days": str(days),
                        f"standard-plan-{i}-revisions": "1",
                    }
                )
        return data

    return valid


def _gig_amounts(ctx, posted, overridden):
    keys = ["price"]
    if posted.get("pricing") == "packages":
        keys += [f"{tier}-price" for tier in ("basic", "standard", "premium")]
        # a plan row's amount is read when the row has anything typed (an empty row is left out)
        keys += [
            f"{tier}-plan-{i}-amount"
            for tier in ("basic", "standard", "premium")
            for i in range(limits.package_plan_max_milestones())
            if any(
                str(posted.get(f"{tier}-plan-{i}-{name}", "")).strip()
                for name in ("title", "description", "amount", "delivery_days")
            )
        ]
    return keys


def _gig_stored(gig_of):
    def stored(ctx, posted):
        gig = gig_of(ctx)
        if posted.get("pricing") == "packages":
            out = {f"{p.tier}-price": p.price_cents for p in gig.packages.all()}
            for p in gig.packages.all():
                rows = [
                    f"{p.tier}-plan-{i}-amount"
                    for i in range(limits.package_plan_max_milestones())
                    if str(posted.get(f"{p.tier}-plan-{i}-amount", "")).strip()
                ]
                steps = list(p.plan.all())
                assert len(rows) == len(steps), f"{len(steps)} steps stored from {len(rows)} rows with an amount"
                out.update(zip(rows, [m.amount_cents for m in steps], strict=True))
            return out
        return {"price": gig.price_cents}

    return stored


def _gig_row(gig_of):
    def watch(ctx):
        gig = Gig.objects.filter(pk=gig_of(ctx).pk)
        return (
            list(gig.values_list("title", "description", "price_cents", "delivery_days", "status")),
            list(GigPackage.objects.filter(gig__in=gig).order_by("tier").values_list("tier", "name", "price_cents")),
        )

    return watch


def _plan_rows(prefix, rows, *, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": str(settings.ORDERS_MAX_MILESTONES),
    }
    for i, (title, amount) in enumerate(rows):
        data.update(_plan_item(f"{prefix}-{i}", title, amount))
    return data


def _plan_item(prefix, title="Sketches", amount="150.50"):
    return {
        f"{prefix}-title": title,
        f"{prefix}-description": "Three sketches to choose from.",
        f"{prefix}-amount": amount,
        f"{prefix}-delivery_days": "4",
        f"{prefix}-due_date": "",
        f"{prefix}-revisions_allowed": "2",
    }


def _plan_fields(rows):
    def fields(ctx):
        from orders.forms import OfferNoteForm, plan_formset_class

        out = fields_of(plan_formset_class(extra=rows)(prefix="plan"))
        out.update(fields_of(OfferNoteForm()))
        return out

    return fields


def _plan_amounts(ctx, posted, overridden):
    if any("_FORMS" in name for name in overridden):
        return []  # which rows are read depends on the management form: no amount is pinned down
    rows = int(posted["plan-TOTAL_FORMS"])
    return [f"plan-{i}-amount" for i in range(rows)]


def _offer_stored(ctx, posted):
    offer = latest(Offer)
    amounts = [m.amount_cents for m in offer.plan.order_by("position")]
    rows = [f"plan-{i}-amount" for i in range(int(posted["plan-TOTAL_FORMS"])) if posted.get(f"plan-{i}-amount")]
    assert len(rows) == len(amounts), f"{len(amounts)} milestones stored from {len(rows)} rows with an amount"
    return dict(zip(rows, amounts, strict=True))


def _milestone_form(prefix=None):
    def fields(ctx):
        from orders.forms import PlanItemForm

        return fields_of(PlanItemForm(prefix=prefix))

    return fields


def _form(form_path, **kwargs):
    """Fields of ``form_path`` ("app.module.Class"), built with ``kwargs`` (callables of ctx are called)."""

    def fields(ctx):
        module, name = form_path.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        built = {key: value(ctx) if callable(value) else value for key, value in kwargs.items()}
        out = fields_of(cls(**built))
        for key in [k for k, f in out.items() if isinstance(f, forms.FileField)]:
            del out[key]  # files: tests/security/test_uploads.py
        return out

    return fields


def _with_raw(fields_fn, *names):
    def fields(ctx):
        return {**fields_fn(ctx), **raw(*names)}

    return fields


def _redirected(response):
    return response.status_code == 302


def _user_row(role, *columns):
    def watch(ctx):
        user = ctx.users[role] if role in ctx.users else getattr(ctx, role)
        return list(type(user).objects.filter(pk=user.pk).values_list(*columns))

    return watch


def _checkout_amount(ctx, posted):
    return {"amount": latest(Checkout).amount_cents}


# --- the list -----------------------------------------------------------------------------------------------
SUBMISSIONS = [
    # --- accounts --------------------------------------------------------------------------------------
    Submission(
        "profile",
        forms=("accounts.forms.ProfileForm",),
        url=lambda c: "/profile/",
        user="buyer",
        fields=lambda c: {k: f for k, f in fields_of(ProfileForm()).items() if k != "avatar"},
        valid=lambda c: {"display_name": "Bea B.", "bio": "I buy logos."},
        watch=_user_row("buyer", "display_name", "bio"),
    ),
    Submission(
        "signup",
        forms=("allauth.account.forms.SignupForm", "accounts.forms.SignupExtraForm"),
        url=lambda c: "/accounts/signup/",
        user=None,
        fields=_form("allauth.account.forms.SignupForm"),
        valid=lambda c: {
            "email": "newcomer@example.com",
            "password1": "a-long-pass-2026",
            "password2": "a-long-pass-2026",
            "display_name": "Newcomer",
        },
    ),
    Submission(
        "login",
        forms=("allauth.account.forms.LoginForm",),
        url=lambda c: "/accounts/login/",
        user=None,
        fields=_with_raw(_form("allauth.account.forms.LoginForm"), "next"),
        valid=lambda c: {"login": c.users["buyer"].email, "password": PASSWORD},
        accepted=_redirected,
    ),
    Submission(
        "reauthenticate",
        forms=("allauth.account.forms.ReauthenticateForm",),
        url=lambda c: "/accounts/reauthenticate/",
        user="buyer",
        fields=_form("allauth.account.forms.ReauthenticateForm", user=lambda c: c.users["buyer"]),
        valid=lambda c: {"password": PASSWORD},
        accepted=_redirected,
    ),
    Submission(
        "add_email",
        forms=("allauth.account.forms.AddEmailForm",),
        url=lambda c: "/accounts/email/",
        user="buyer",
        fields=_with_raw(_form("allauth.account.forms.AddEmailForm", user=lambda c: c.users["buyer"]), "action_add"),
        valid=lambda c: {"email": "second-address@example.com", "action_add": ""},
    ),
    Submission(
        "password_change",
        forms=("allauth.account.forms.ChangePasswordForm",),
        url=lambda c: "/accounts/password/change/",
        user="buyer",
        fields=_form("allauth.account.forms.ChangePasswordForm", user=lambda c: c.users["buyer"]),
        valid=lambda c: {"oldpassword": PASSWORD, "password1": "another-pass-2026", "password2": "another-pass-2026"},
        watch=_user_row("buyer", "password"),
    ),
    Submission(
        "password_set",
        forms=("allauth.account.forms.SetPasswordForm",),
        url=lambda c: "/accounts/password/set/",
        user="fresh",
        setup=_no_password,
        fields=_form("allauth.account.forms.SetPasswordForm", user=lambda c: c.fresh),
        valid=lambda c: {"password1": "another-pass-2026", "password2": "another-pass-2026"},
        watch=_user_row("fresh", "password"),
    ),
    Submission(
        "password_reset",
        forms=("allauth.account.forms.ResetPasswordForm",),
        url=lambda c: "/accounts/password/reset/",
        user=None,
        fields=_form("allauth.account.forms.ResetPasswordForm"),
        valid=lambda c: {"email": c.users["buyer"].email},
        accepted=_redirected,
    ),
    Submission(
        "password_reset_from_key",
        forms=("allauth.account.forms.ResetPasswordKeyForm",),
        url=lambda c: c.reset_set_path,
        user=None,
        setup=_reset_link,
        prepare=_open_reset_link,
        fields=_form("allauth.account.forms.ResetPasswordKeyForm", user=lambda c: c.users["other"], temp_key="k"),
        valid=lambda c: {"password1": "another-pass-2026", "password2": "another-pass-2026"},
        watch=_user_row("other", "password"),
    ),
    # --- marketplace ----------------------------------------------------------------------------------------
    Submission(
        "gig_search",
        forms=("marketplace.forms.GigSearchForm",),
        method="GET",
        url=lambda c: "/gigs/",
        user=None,
        fields=_form("marketplace.forms.GigSearchForm", tree=lambda c: _tree()),
        valid=lambda c: {"q": "logo", "min_price": "50", "max_price": "1,000.50", "sort": "price_low"},
    ),
    Submission(
        "gig_create",
        forms=("marketplace.forms.GigForm",),
        url=lambda c: "/selling/gigs/new/",
        user="seller",
        fields=_gig_fields,
        valid=_gig_valid("simple"),
        amounts=_gig_amounts,
        stored=_gig_stored(lambda c: latest(Gig)),
    ),
    Submission(
        "gig_create_packages",
        forms=("marketplace.forms.GigForm", "marketplace.forms.PackageForm"),
        url=lambda c: "/selling/gigs/new/",
        user="seller",
        fields=_gig_fields,
        valid=_gig_valid("packages"),
        amounts=_gig_amounts,
        stored=_gig_stored(lambda c: latest(Gig)),
    ),
    Submission(
        "gig_create_package_plan",
        forms=("marketplace.forms.GigForm", "marketplace.forms.PackageForm", "marketplace.forms.PackageStepForm"),
        url=lambda c: "/selling/gigs/new/",
        user="seller",
        fields=_gig_fields,
        valid=_gig_valid("packages", plan=True),
        amounts=_gig_amounts,
        stored=_gig_stored(lambda c: latest(Gig)),
    ),
    Submission(
        "gig_edit",
        forms=("marketplace.forms.GigForm", "marketplace.forms.PackageForm"),
        url=lambda c: f"/selling/gigs/{c.gig.pk}/edit/",
        user="seller",
        fields=lambda c: _gig_fields(c, gig=c.gig),
        valid=_gig_valid("packages"),
        amounts=_gig_amounts,
        stored=_gig_stored(lambda c: Gig.objects.get(pk=c.gig.pk)),
        watch=_gig_row(lambda c: c.gig),
    ),
    Submission(
        "conversation_message",
        forms=("marketplace.forms.MessageForm",),
        url=lambda c: f"/inbox/{c.conversation.pk}/",
        user="buyer",
        fields=_form("marketplace.forms.MessageForm"),
        valid=lambda c: {"body": "Any news on the sketches?"},
    ),
    Submission(
        "gig_contact",
        forms=("marketplace.forms.ContactForm",),
        url=lambda c: f"/gigs/{c.gig.slug}/contact/",
        user="other",
        fields=_form("marketplace.forms.ContactForm"),
        valid=lambda c: {"body": "Hello, do you draw mascots too?"},
    ),
    Submission(
        "gig_request_offer",
        forms=("marketplace.forms.CustomOfferRequestForm",),
        url=lambda c: f"/gigs/{c.gig.slug}/request-offer/",
        user="other",
        fields=_form("marketplace.forms.CustomOfferRequestForm"),
        valid=lambda c: {
            "description": "A logo and a mascot for my bakery, in warm colours.",
            "budget": "1,500",
            "delivery_days": "20",
        },
        stored=lambda c, posted: {"budget": latest(Message).data.get("budget_cents")} if posted.get("budget") else {},
    ),
    # --- offers and the order page ---------------------------------------------------------------------------------
    Submission(
        "offer_new",
        forms=("orders.forms.BasePlanFormSet", "orders.forms.PlanItemForm", "orders.forms.OfferNoteForm"),
        url=lambda c: f"/conversations/{c.conversation.pk}/offer",
        user="seller",
        fields=_plan_fields(2),
        valid=lambda c: {**_plan_rows("plan", [("Sketches", "150.50"), ("Final", "$1,200")]), "note": "Two phases."},
        amounts=_plan_amounts,
        stored=_offer_stored,
    ),
    Submission(
        "offer_counter",
        forms=("orders.forms.BasePlanFormSet", "orders.forms.PlanItemForm", "orders.forms.OfferNoteForm"),
        url=lambda c: f"/offers/{c.offer.pk}/counter",
        user="buyer",
        fields=_plan_fields(1),
        valid=lambda c: {**_plan_rows("plan", [("Milestone 1", "175.25")], initial=1), "note": "A bit more?"},
        amounts=_plan_amounts,
        stored=_offer_stored,
    ),
    Submission(
        "order_add_milestone",
        forms=("orders.forms.PlanItemForm",),
        url=lambda c: f"/orders/{c.order.pk}/add-milestone",
        user="seller",
        fields=_milestone_form("add"),
        valid=lambda c: _plan_item("add", "Extra icons", "75.10"),
        stored=lambda c, posted: {"add-amount": latest(Milestone).amount_cents},
    ),
    Submission(
        "milestone_change",
        forms=("orders.forms.PlanItemForm",),
        url=lambda c: f"/milestones/{c.unstarted.pk}/change",
        user="buyer",
        setup=_fresh_unstarted,
        fields=_with_raw(_milestone_form("change"), "expected_state"),
        valid=lambda c: {**_plan_item("change", "Phase 2, smaller", "99.99"), "expected_state": "awaiting_funding"},
        stored=lambda c, posted: {"change-amount": latest(PlanChange).amount_cents},
    ),
    Submission(
        "milestone_deliver",
        forms=("orders.forms.DeliveryForm",),
        url=lambda c: f"/milestones/{c.working.pk}/deliver",
        user="seller",
        setup=_fresh_in_progress,
        fields=_with_raw(_form("orders.forms.DeliveryForm"), "expected_state"),
        valid=lambda c: {
            "message": "Here it is.",
            "links": "https://example.com/files",
            "expected_state": "in_progress",
        },
    ),
    Submission(
        "milestone_request_revision",
        forms=("orders.forms.RevisionForm",),
        url=lambda c: f"/milestones/{c.milestone.pk}/request_revision",
        user="buyer",
        fields=_with_raw(_form("orders.forms.RevisionForm"), "expected_state"),
        valid=lambda c: {"feedback": "Please make the lines thicker.", "expected_state": "delivered"},
    ),
    Submission(
        "milestone_extension",
        forms=("orders.forms.ExtensionForm",),
        url=lambda c: f"/milestones/{c.working.pk}/extension",
        user="seller",
        setup=_fresh_in_progress,
        fields=_form("orders.forms.ExtensionForm"),
        valid=lambda c: {"days": "3", "reason": "The client asked for one more concept."},
    ),
    Submission(
        "milestone_cancellation",
        forms=("orders.forms.ReasonForm",),
        url=lambda c: f"/milestones/{c.working.pk}/cancellation",
        user="buyer",
        setup=_fresh_in_progress,
        fields=_form("orders.forms.ReasonForm"),
        valid=lambda c: {"reason": "We no longer need this phase."},
    ),
    Submission(
        "review",
        forms=("orders.forms.ReviewForm",),
        url=lambda c: f"/orders/{c.order_completed.pk}/review",
        user="seller",
        fields=_form("orders.forms.ReviewForm"),
        valid=lambda c: {"rating": "5", "text": "Clear brief, quick answers."},
    ),
    Submission(
        "review_reply",
        forms=("orders.forms.ReplyForm",),
        url=lambda c: f"/reviews/{c.review.pk}/reply",
        user="seller",
        setup=_reviews_published,
        fields=_form("orders.forms.ReplyForm"),
        valid=lambda c: {"reply": "Thank you!"},
        watch=lambda c: list(Review.objects.filter(pk=c.review.pk).values_list("reply")),
    ),
    Submission(
        "notifications_read",
        forms=("orders.forms.NotificationReadForm",),
        url=lambda c: "/notifications/read",
        user="buyer",
        fields=_form("orders.forms.NotificationReadForm"),
        valid=lambda c: {"id": str(c.notification.pk), "next": "/dashboard/"},
        watch=lambda c: list(Notification.objects.filter(user=c.users["buyer"]).values_list("pk", "read_at")),
    ),
    Submission(
        "order_tip",
        forms=("orders.forms.TipForm",),
        url=lambda c: f"/orders/{c.order_completed.pk}/tip",
        user="buyer",
        fields=_form("orders.forms.TipForm"),
        valid=lambda c: {"amount": "15.75"},
        stored=_checkout_amount,
    ),
    # --- disputes --------------------------------------------------------------------------------------------------
    Submission(
        "dispute_open",
        forms=("orders.dispute_forms.DisputeOpenForm",),
        url=lambda c: f"/milestones/{c.milestone.pk}/dispute/open",
        user="buyer",
        fields=_with_raw(_form("orders.dispute_forms.DisputeOpenForm"), "expected_state"),
        valid=lambda c: {
            "reason": "quality",
            "description": "The draft is blurry at every size.",
            "expected_state": "delivered",
        },
    ),
    Submission(
        "dispute_message",
        forms=("orders.dispute_forms.DisputeMessageForm",),
        url=lambda c: f"/disputes/{c.dispute.pk}/message",
        user="buyer",
        fields=_form("orders.dispute_forms.DisputeMessageForm"),
        valid=lambda c: {"body": "Here is what we agreed."},
    ),
    Submission(
        "dispute_answer",
        forms=("orders.dispute_forms.DisputeMessageForm",),
        url=lambda c: f"/disputes/{c.dispute.pk}/answer",
        user="seller",
        fields=_form("orders.dispute_forms.DisputeMessageForm"),
        valid=lambda c: {"body": "The files are vector, so they are sharp."},
    ),
    Submission(
        "staff_dispute_message",
        forms=("orders.dispute_forms.DisputeMessageForm",),
        url=lambda c: f"/staff/disputes/{c.dispute.pk}/message",
        user="support",
        fields=_form("orders.dispute_forms.DisputeMessageForm"),
        valid=lambda c: {"body": "Support is looking at the files."},
    ),
    Submission(
        "settlement_propose",
        forms=("orders.dispute_forms.SettlementForm",),
        url=lambda c: f"/disputes/{c.dispute.pk}/propose",
        user="buyer",
        fields=_form("orders.dispute_forms.SettlementForm"),
        valid=lambda c: {"outcome": "split", "seller_amount": "40.50", "note": "Half, roughly."},
        stored=lambda c, posted: (
            {"seller_amount": latest(SettlementProposal).seller_amount_cents}
            if posted.get("outcome") == "split"
            else {}
        ),
    ),
    Submission(
        "staff_resolve",
        forms=("orders.dispute_forms.ResolveForm",),
        url=lambda c: f"/staff/disputes/{c.dispute.pk}/resolve",
        user="support",
        setup=_dispute_answered,
        fields=_form("orders.dispute_forms.ResolveForm", user=lambda c: c.users["support"]),
        valid=lambda c: {
            "outcome": "split",
            "seller_amount": "$60",
            "decision": "The files were partly usable.",
            "second_factor_code": _recovery_code("support")(c),
        },
        stored=lambda c, posted: (
            {"seller_amount": Dispute.objects.get(pk=c.dispute.pk).seller_amount_cents}
            if posted.get("outcome") == "split"
            else {}
        ),
    ),
    Submission(
        "admin_resolve_split",
        forms=("milestones.admin_operator.TransitionForm",),
        url=lambda c: f"/admin/milestones/milestone/{c.disputed_milestone.pk}/transition/resolve_split/",
        user="support",
        setup=_dispute_answered,
        fields=_form("milestones.admin_operator.TransitionForm", split=True),
        valid=lambda c: {"reason": "Split after reading both sides.", "seller_amount": "25"},
        stored=lambda c, posted: {"seller_amount": Dispute.objects.get(pk=c.dispute.pk).seller_amount_cents},
    ),
    Submission(
        "admin_cancel",
        forms=("milestones.admin_operator.TransitionForm",),
        url=lambda c: f"/admin/milestones/milestone/{c.unstarted.pk}/transition/cancel/",
        user="support",
        setup=_fresh_unstarted,
        fields=_with_raw(_form("milestones.admin_operator.TransitionForm"), "expected_state"),
        valid=lambda c: {"reason": "The buyer asked support to cancel.", "expected_state": "awaiting_funding"},
    ),
    # --- payments ----------------------------------------------------------------------------------------------------
    Submission(
        "checkout_card",
        forms=("payments.forms.CardForm",),
        url=lambda c: f"/payments/checkout/{c.open_checkout.uuid}/",
        user="buyer",
        fields=_with_raw(_form("payments.forms.CardForm"), "pay_with"),
        valid=lambda c: {"card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123", "pay_with": "card"},
    ),
    Submission(
        "tip_page",
        forms=("payments.forms.TipForm",),
        url=lambda c: f"/payments/tip/{c.users['seller'].pk}/",
        user="buyer",
        fields=_form("payments.forms.TipForm"),
        valid=lambda c: {"amount": "5", "note": "For the extra sketch."},
        stored=_checkout_amount,
    ),
    Submission(
        "withdraw",
        forms=("payments.forms.WithdrawForm",),
        url=lambda c: "/payments/earnings/",
        user="seller",
        setup=_earnings_available,
        fields=_form("payments.forms.WithdrawForm"),
        valid=lambda c: {"amount": "20.50", "idempotency_key": "fuzz-withdrawal"},
        stored=lambda c, posted: {"amount": latest(Payout).amount_cents},
    ),
    Submission(
        "withdraw_with_a_second_factor",
        forms=("payments.forms.WithdrawForm",),
        url=lambda c: "/payments/earnings/",
        user="seller",
        setup=_seller_with_a_second_factor,
        fields=_form("payments.forms.WithdrawForm", user=lambda c: c.users["seller"]),
        valid=lambda c: {
            "amount": "20.50",
            "idempotency_key": "fuzz-withdrawal",
            "second_factor_code": _recovery_code("seller")(c),
        },
        stored=lambda c, posted: {"amount": latest(Payout).amount_cents},
    ),
    # --- two-factor authentication (allauth.mfa): the forms that take a typed code --------------------------------
    Submission(
        "mfa_authenticate",
        forms=("allauth.mfa.base.forms.AuthenticateForm",),
        url=lambda c: "/accounts/2fa/authenticate/",
        user=None,
        prepare=_pending_login("support"),
        fields=_form("allauth.mfa.base.forms.AuthenticateForm", user=lambda c: c.users["support"]),
        valid=lambda c: {"code": _recovery_code("support")(c)},
        accepted=_redirected,
    ),
    Submission(
        "mfa_reauthenticate",
        forms=("allauth.mfa.base.forms.ReauthenticateForm",),
        url=lambda c: "/accounts/2fa/reauthenticate/",
        user="support",
        fields=_form("allauth.mfa.base.forms.ReauthenticateForm", user=lambda c: c.users["support"]),
        valid=lambda c: {"code": _recovery_code("support")(c)},
        accepted=_redirected,
    ),
]

# Forms no one posts as such, each with the reason. Everything else needs a Submission above.
NOT_POSTED = {
    "marketplace.admin.GigAdminForm": "a Django admin change form (the admin builds its fields): every admin "
    "page is posted back as shown, and with out-of-bounds amounts, by tests/security/test_admin_writes.py",
    "marketplace.admin.GigPackageAdminForm": "a Django admin change form: posted as shown and out of bounds by "
    "tests/security/test_admin_writes.py, with prices, days and tiers its plan refuses by "
    "tests/marketplace/test_demo_and_admin.py",
    "marketplace.admin.GigPackageFormSet": "the gig admin's package inline: posted by the same admin tests",
    "payments.forms.HostedCardForm": "posted only with the Stripe provider (its payment method comes from "
    "Stripe.js): its bad input is tried in tests/payments/test_stripe_views.py",
    "payments.forms.PayoutAccountForm": "posted only with the Stripe provider: tried in "
    "tests/payments/test_stripe_views.py",
    "allauth.mfa.totp.forms.ActivateTOTPForm": "its code is checked against a secret the page keeps in the session "
    "after a reauthentication: posted through the browser (tests/e2e/test_second_factor_journey.py)",
    "allauth.mfa.totp.forms.DeactivateTOTPForm": "no fields: a confirmation button (after a reauthentication)",
    "allauth.mfa.recovery_codes.forms.GenerateRecoveryCodesForm": "no fields: a confirmation button",
    "django.forms.forms.Form": "allauth's remove-a-security-key page: no fields, a confirmation button",
    "allauth.mfa.webauthn.forms.AddWebAuthnForm": "carries a credential only a browser's authenticator can sign",
    "allauth.mfa.webauthn.forms.ReauthenticateWebAuthnForm": "carries an assertion only a browser's authenticator "
    "can sign",
    "allauth.mfa.webauthn.forms.EditWebAuthnForm": "renames a security key, which needs one registered by a "
    "browser's authenticator",
    "orders.dispute_forms._OutcomeForm": "the abstract base of SettlementForm and ResolveForm; never posted itself",
    "allauth.account.forms.ConfirmLoginCodeForm": "login by code is off (ACCOUNT_LOGIN_BY_CODE_ENABLED is not set): "
    "its URL only redirects (tests/security/matrix.py)",
}
