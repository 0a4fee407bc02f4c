"""HTTP only: parse the form, call one service, redirect; a refusal shows the page again around its form."""

import dataclasses
import functools
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_POST, require_safe

from accounts.once import once_per_form_key
from config import clock
from config.forms import form_error_messages
from config.uploads import serve_private_file
from marketplace import services as marketplace_services
from marketplace.selectors import conversation_for_user
from milestones import process
from milestones import services as milestone_services
from milestones.exceptions import OrderError
from milestones.lifecycle import lifecycle_diagram
from milestones.lifecycle import steps as lifecycle_steps
from milestones.models import CancellationRequest, DeliveryFile, ExtensionRequest, Milestone, PlanChange
from payments.exceptions import PaymentError

from . import selectors, services
from .forms import (
    DeliveryForm,
    ExtensionForm,
    NotificationReadForm,
    OfferNoteForm,
    PlanItemForm,
    ReasonForm,
    ReplyForm,
    ReviewForm,
    RevisionForm,
    TipForm,
    plan_formset_class,
)
from .models import Review


# --- the order page ----------------------------------------------------------
@functools.cache
def _blank_form(form_class, prefix, auto_id, language):
    """The HTML of an empty ``form_class``, rendered once per process and language.

    The order page shows its action forms empty except the one just refused (``Refused``), so their HTML
    rarely changes; Django renders a form through a template per field and widget, which cost the order page
    about 4 ms a form (make bench).
    """
    return form_class(prefix=prefix, auto_id=auto_id).render()


@receiver(setting_changed)
def _forget_blank_forms(**kwargs):
    """The blank forms' HTML carries limits from the settings (``max`` attributes): drawn again after a change."""
    _blank_form.cache_clear()
    _blank_change_form.cache_clear()


# The order page's forms: the action they belong to -> (context name, form class, prefix, ids). Each has its own
# ids (the extension and the cancellation forms both have a "reason").
ORDER_PAGE_FORMS = {
    "deliver": ("delivery_form", DeliveryForm, None, "deliver_%s"),
    "request_revision": ("revision_form", RevisionForm, None, "revision_%s"),
    "extension": ("extension_form", ExtensionForm, None, "extension_%s"),
    "cancellation": ("reason_form", ReasonForm, None, "cancellation_%s"),
    "add": ("add_form", PlanItemForm, "add", "id_%s"),
    "review": ("review_form", ReviewForm, None, "id_%s"),
    "tip": ("tip_form", TipForm, None, "id_%s"),
}


def _page_form(action, request):
    """The form of ``action`` bound to what was posted (same prefix and ids as the page's)."""
    _, form_class, prefix, auto_id = ORDER_PAGE_FORMS[action]
    return form_class(request.POST, request.FILES, prefix=prefix, auto_id=auto_id)


@dataclass
class Refused:
    """A form (or button) of the order page that was refused: the page is shown again with it.

    ``action`` is the step's name (or "add", "review", "tip", "stop", "reply", "answer"); ``milestone_id`` the
    milestone it was on (``None``: the order's own forms); ``form`` the bound form, with what was typed and its
    errors (a service's refusal among them, at the top of the form); ``error`` the refusal of a button without
    a form; ``target`` the request or review an answer or reply was about.
    """

    action: str
    milestone_id: int | None = None
    form: object = None
    error: str = ""
    target: int | None = None

    @property
    def message(self) -> str:
        if self.form is None:
            return self.error
        return " ".join(form_error_messages(self.form))


def _refuse(form, exc) -> object:
    """A service's refusal, at the top of the form it concerns."""
    form.add_error(None, str(exc))
    return form


@dataclass
class Shown:
    """One step as the order page shows it to one person: the button, or the form (blank, or the refused one
    with what was typed and its errors, shown open); ``error``: the refusal of a button."""

    action: process.Action
    form: object = None
    open: bool = False
    error: str = ""


def _shown(milestone, context, refused) -> list[Shown]:
    shown = []
    for action in milestone.actions:
        mine = refused is not None and refused.milestone_id == milestone.pk and refused.action == action.name
        form = None
        if action.name == "change":
            form = _blank_change_form(
                milestone.pk,
                milestone.title,
                milestone.description,
                milestone.amount_cents,
                milestone.delivery_days,
                milestone.revisions_allowed,
                milestone.state,
                get_language(),
            )
        elif action.template:
            form = context[ORDER_PAGE_FORMS[action.name][0]]
        if mine and refused.form is not None:
            form = refused.form
        shown.append(Shown(action, form, open=mine, error=refused.error if mine else ""))
    return shown


def order_page(request, pk, refused: Refused | None = None):
    """The order page for ``request.user``; with ``refused``, shown again around the form that was refused
    (status 400): what was typed kept, the form open, its errors beside its fields."""
    # the live poll's side (base.html, static/js/live.js): read before the page, so a change in between costs
    # one more refresh and is never missed
    stamp = selectors.order_stamp(user=request.user, pk=pk)
    context = selectors.order_page(user=request.user, pk=pk)
    context["live"] = {"watch": f"o={pk}", "stamp": stamp, "page": context["order"].get_absolute_url()}
    conversation = context["order"].conversation
    party = request.user.pk in (conversation.buyer_id, conversation.seller_id)
    if request.method == "GET" and party and conversation.unread_for(request.user):
        # the page shows the newest messages (its conversation panel): they are seen, as on the conversation page
        # (not when it is shown again around a refused form: a refused post changes nothing)
        marketplace_services.conversation_mark_read(conversation=conversation, user=request.user)
    language = get_language()
    for context_name, form, prefix, auto_id in ORDER_PAGE_FORMS.values():
        context[context_name] = _blank_form(form, prefix, auto_id, language)
    placed = refused is None
    for milestone in context["milestones"]:
        shown = _shown(milestone, context, refused)
        # the side's main next action first, then the others; disputes and cancellations behind "More options"
        milestone.main_actions = sorted(
            (s for s in shown if s.action.place != process.MORE), key=lambda s: s.action.place != process.PRIMARY
        )
        milestone.more_actions = [s for s in shown if s.action.place == process.MORE]
        milestone.more_open = any(s.open for s in milestone.more_actions)
        milestone.refusal = ""
        if refused is None or refused.milestone_id != milestone.pk:
            continue
        if refused.action == "answer":
            milestone.open_requests = [
                dataclasses.replace(o, error=refused.error) if o.request.pk == refused.target else o
                for o in milestone.open_requests
            ]
            placed = any(o.error for o in milestone.open_requests)
        else:
            placed = any(s.open for s in shown)
        if not placed:  # the step is no longer offered (the milestone moved on): say why on the milestone
            milestone.refusal, placed = refused.message, True
    if refused is not None and refused.milestone_id is None:
        offered = {
            "add": context["can_propose"],
            "review": context["can_review"],
            "tip": context["can_tip"],
            "stop": context["can_stop"],
            "reply": any(r.pk == refused.target and _can_reply(r, request.user) for r in context["reviews"]),
        }
        placed = offered.get(refused.action, False)
        if placed and refused.form is not None and refused.action in ORDER_PAGE_FORMS:
            context[ORDER_PAGE_FORMS[refused.action][0]] = refused.form
    for review in context["reviews"]:
        review.can_reply = _can_reply(review, request.user)
        mine = placed and refused is not None and refused.action == "reply" and refused.target == review.pk
        review.reply_form = refused.form if mine else ReplyForm(auto_id=f"reply{review.pk}_%s")
    context["refused"] = refused
    context["open_form"] = refused.action if refused is not None and refused.milestone_id is None else ""
    context["page_refusal"] = "" if placed else refused.message
    return render(request, "orders/order_detail.html", context, status=400 if refused is not None else 200)


def _can_reply(review, user) -> bool:
    """The seller may answer a published review about them, once (``services.review_reply``'s rule)."""
    return review.about_seller and review.recipient_id == user.pk and review.is_published and not review.reply


@login_required
@require_safe
def order_detail(request, pk):
    return order_page(request, pk)


def _change_form(milestone, data=None):
    """The plan-change form (the same ``PlanItemForm`` the plan and "add a milestone" use), filled with the
    milestone as it is; its ids are the milestone's own (several milestones share the page)."""
    form = PlanItemForm(
        data,
        prefix="change",
        auto_id=f"c{milestone.pk}_%s",
        initial={
            "title": milestone.title,
            "description": milestone.description,
            "amount": milestone.amount_cents,
            "delivery_days": milestone.delivery_days,
            "revisions_allowed": milestone.revisions_allowed,
        },
    )
    if milestone.state == "funded":
        form.fields["amount"].widget.attrs["readonly"] = True  # a funded milestone's amount cannot change
    return form


@functools.lru_cache(maxsize=2048)
def _blank_change_form(pk, title, description, amount_cents, delivery_days, revisions_allowed, state, language):
    """The HTML of a milestone's plan-change form, filled with the milestone as it is: rendered once per process
    for each set of values it shows (the arguments are its key), like ``_blank_form``."""
    milestone = SimpleNamespace(
        pk=pk,
        title=title,
        description=description,
        amount_cents=amount_cents,
        delivery_days=delivery_days,
        revisions_allowed=revisions_allowed,
        state=state,
    )
    return _change_form(milestone).render()


def _milestone_for(request, pk):
    milestone = get_object_or_404(Milestone.objects.select_related("order"), pk=pk)
    if request.user.pk not in (milestone.order.buyer_id, milestone.order.seller_id):
        raise Http404("No such milestone.")
    return milestone


# each form step's service (its effect); what is said when it is done comes from the process declaration
def _deliver(milestone, user, form, expected):
    d = form.cleaned_data
    milestone_services.milestone_deliver(
        milestone_id=milestone.pk,
        actor=user,
        message=d["message"],
        links=d["links"],
        files=d["files"],
        expected_state=expected,
    )


def _revise(milestone, user, form, expected):
    milestone_services.milestone_request_revision(
        milestone_id=milestone.pk, actor=user, feedback=form.cleaned_data["feedback"], expected_state=expected
    )


def _extend(milestone, user, form, expected):
    milestone_services.extension_request(milestone_id=milestone.pk, actor=user, **form.cleaned_data)


def _ask_cancel(milestone, user, form, expected):
    milestone_services.cancellation_request(milestone_id=milestone.pk, actor=user, **form.cleaned_data)


def _change(milestone, user, form, expected):
    item = form.item()
    milestone_services.plan_change_propose(
        milestone_id=milestone.pk,
        actor=user,
        title=item.title,
        description=item.description,
        amount_cents=item.amount_cents,
        delivery_days=item.delivery_days,
        revisions_allowed=item.revisions_allowed,
    )


FORM_STEPS = {
    "deliver": _deliver,
    "request_revision": _revise,
    "extension": _extend,
    "cancellation": _ask_cancel,
    "change": _change,
}


@login_required
@require_POST
@once_per_form_key
def milestone_action(request, pk, action):
    """One endpoint for every button on a milestone; the service decides if it is allowed. A refusal shows the
    order page again around the button or form (what was typed kept), not a redirect."""
    milestone = _milestone_for(request, pk)
    user, expected = request.user, request.POST.get("expected_state") or None
    url = milestone.order.get_absolute_url() + f"#milestone-{milestone.pk}"
    simple = {
        "approve": milestone_services.milestone_approve,
        "approve_end": milestone_services.milestone_approve_and_end,
        "cancel": milestone_services.milestone_cancel,
        "cancel_late": milestone_services.milestone_cancel_late,
    }
    proposal = ("accept", "decline", "withdraw")
    since = clock.now()  # what is said when done: the step's words and what really moved (process.done_text)
    known = set(simple) | set(proposal) | set(FORM_STEPS) | {"fund", "grant_revision"}
    if action not in known:
        raise Http404("Unknown action.")
    form = None
    if action in FORM_STEPS:
        form = _change_form(milestone, request.POST) if action == "change" else _page_form(action, request)
        if not form.is_valid():
            return order_page(request, milestone.order_id, Refused(action, milestone.pk, form))
    try:
        if action in simple:
            simple[action](milestone_id=milestone.pk, actor=user, expected_state=expected)
        elif action in proposal:
            milestone_services.milestone_proposal_decide(
                milestone_id=milestone.pk, actor=user, decision=action, expected_state=expected
            )
        elif action == "fund":
            checkout = milestone_services.milestone_fund_checkout(milestone=milestone, actor=user)
            return redirect(checkout.get_absolute_url())
        elif action == "grant_revision":
            milestone_services.milestone_grant_revision(milestone_id=milestone.pk, actor=user)
        else:
            FORM_STEPS[action](milestone, user, form, expected)
    except (OrderError, PaymentError) as exc:
        if form is not None:
            return order_page(request, milestone.order_id, Refused(action, milestone.pk, _refuse(form, exc)))
        return order_page(request, milestone.order_id, Refused(action, milestone.pk, error=str(exc)))
    after = Milestone.objects.select_related("order").get(pk=milestone.pk)
    messages.success(request, process.done_text(action, after, user=user, since=since))
    return redirect(url)


@login_required
@require_POST
@once_per_form_key
def request_decide(request, kind, pk):
    """Accept / decline / withdraw an extension, cancellation or plan-change request."""
    model, service, arg = {
        "extension": (ExtensionRequest, milestone_services.extension_decide, "extension_id"),
        "cancellation": (CancellationRequest, milestone_services.cancellation_decide, "request_id"),
        "change": (PlanChange, milestone_services.plan_change_decide, "change_id"),
    }.get(kind, (None, None, None))
    if model is None:
        raise Http404
    obj = get_object_or_404(model.objects.select_related("milestone__order"), pk=pk)
    order = obj.milestone.order
    if request.user.pk not in (order.buyer_id, order.seller_id):
        raise Http404
    back = order.get_absolute_url() + f"#milestone-{obj.milestone_id}"
    decision = request.POST.get("decision")
    own = obj.requested_by_id == request.user.pk
    refused = None
    if decision not in ("accept", "decline", "withdraw") or (decision == "withdraw") != own:
        refused = (
            "Only the one who asked can withdraw this request; the other side accepts or declines it. "
            "Nothing was changed."
            if decision in ("accept", "decline", "withdraw")
            else "Choose one of the answers on the page. Nothing was changed."
        )
    else:
        since = clock.now()
        try:
            service(**{arg: obj.pk}, actor=request.user, accept=decision == "accept")
        except OrderError as exc:
            refused = str(exc)
    if refused is not None:
        return order_page(request, order.pk, Refused("answer", obj.milestone_id, error=refused, target=obj.pk))
    after = Milestone.objects.select_related("order").get(pk=obj.milestone_id)
    messages.success(request, process.answered_text(kind, decision, after, user=request.user, since=since))
    return redirect(back)


@login_required
@require_POST
@once_per_form_key
def order_add_milestone(request, pk):
    order = selectors.order_for_user(user=request.user, pk=pk)
    form = _page_form("add", request)
    if not form.is_valid():
        return order_page(request, order.pk, Refused("add", form=form))
    item = form.item()
    try:
        milestone_services.milestone_propose(
            order_id=order.pk,
            actor=request.user,
            title=item.title,
            description=item.description,
            amount_cents=item.amount_cents,
            delivery_days=item.delivery_days,
            revisions_allowed=item.revisions_allowed,
        )
    except OrderError as exc:
        return order_page(request, order.pk, Refused("add", form=_refuse(form, exc)))
    messages.success(request, "Milestone proposed. It is added once the other side accepts.")
    return redirect(order)


@login_required
@require_POST
@once_per_form_key
def order_stop(request, pk):
    order = selectors.order_for_user(user=request.user, pk=pk)
    since = clock.now()
    try:
        milestone_services.order_stop(order_id=order.pk, actor=request.user)
    except OrderError as exc:
        return order_page(request, order.pk, Refused("stop", error=str(exc)))
    messages.success(request, process.done_text("end_order", order=order, user=request.user, since=since))
    return redirect(order)


@login_required
@require_safe
def delivery_file(request, pk):
    item = get_object_or_404(DeliveryFile.objects.select_related("delivery__milestone__order"), pk=pk)
    if not selectors.can_see_order(request.user, item.delivery.milestone.order):
        raise Http404
    return serve_private_file(item.file, filename=item.name)


# --- offers --------------------------------------------------------------------
def _render_offer_form(request, conversation, formset, note_form, previous=None, status=200):
    return render(
        request,
        "orders/offer_form.html",
        {
            "conversation": conversation,
            "formset": formset,
            "note_form": note_form,
            "previous": previous,
            "fees": {
                "percent": settings.PAYMENTS_BUYER_FEE_PERCENT,
                "commission": settings.PAYMENTS_SELLER_COMMISSION_PERCENT,
                "small_fee": settings.PAYMENTS_SMALL_ORDER_FEE_CENTS,
                "threshold": settings.PAYMENTS_SMALL_ORDER_THRESHOLD_CENTS,
            },
        },
        status=status,
    )


@login_required
@once_per_form_key
def offer_new(request, conversation_pk):
    conversation = conversation_for_user(user=request.user, pk=conversation_pk)
    formset_class = plan_formset_class(extra=1)
    if request.method == "POST":
        formset, note_form = formset_class(request.POST, prefix="plan"), OfferNoteForm(request.POST)
        if formset.is_valid() and note_form.is_valid():
            try:
                offer = services.offer_create(
                    conversation=conversation,
                    author=request.user,
                    items=formset.items(),
                    note=note_form.cleaned_data["note"],
                    title=note_form.cleaned_data["title"],
                )
                messages.success(request, "Your offer was sent.")
                return redirect(conversation.get_absolute_url() + f"#offer-{offer.pk}")
            except OrderError as exc:
                messages.error(request, str(exc))
        return _render_offer_form(request, conversation, formset, note_form, status=200)
    title = services.offer_default_title(gig=conversation.gig) if conversation.gig_id else ""
    return _render_offer_form(
        request, conversation, formset_class(prefix="plan"), OfferNoteForm(initial={"title": title})
    )


@login_required
@once_per_form_key
def offer_counter(request, pk):
    offer = selectors.offer_for_user(user=request.user, pk=pk)
    formset_class = plan_formset_class(extra=0)
    if request.method == "POST":
        formset, note_form = formset_class(request.POST, prefix="plan"), OfferNoteForm(request.POST)
        if formset.is_valid() and note_form.is_valid():
            try:
                new = services.offer_counter(
                    offer_id=offer.pk,
                    actor=request.user,
                    items=formset.items(),
                    note=note_form.cleaned_data["note"],
                    title=note_form.cleaned_data["title"],
                )
                messages.success(request, "Your counter-offer was sent.")
                return redirect(offer.conversation.get_absolute_url() + f"#offer-{new.pk}")
            except OrderError as exc:
                messages.error(request, str(exc))
        return _render_offer_form(request, offer.conversation, formset, note_form, previous=offer)
    initial = [
        {
            "title": p.title,
            "description": p.description,
            "amount": p.amount_cents,  # cents: the amount field shows them as "1,234.50"
            "delivery_days": p.delivery_days,
            "revisions_allowed": p.revisions_allowed,
        }
        for p in offer.plan.all()
    ]
    return _render_offer_form(
        request,
        offer.conversation,
        formset_class(prefix="plan", initial=initial),
        OfferNoteForm(initial={"title": offer.title}),
        previous=offer,
    )


@login_required
@require_POST
@once_per_form_key
def offer_respond(request, pk, decision):
    offer = selectors.offer_for_user(user=request.user, pk=pk)
    service = {
        "accept": services.offer_accept,
        "decline": services.offer_decline,
        "withdraw": services.offer_withdraw,
    }.get(decision)
    if service is None:
        raise Http404
    try:
        result = service(offer_id=offer.pk, actor=request.user)
    except OrderError as exc:
        messages.error(request, str(exc))
        return redirect(offer.conversation.get_absolute_url() + f"#offer-{offer.pk}")
    if decision == "accept":
        messages.success(request, f"Offer accepted: order #{result.pk} is open.")
        return redirect(result)
    messages.success(request, f"Offer {'declined' if decision == 'decline' else 'withdrawn'}.")
    return redirect(offer.conversation.get_absolute_url() + f"#offer-{offer.pk}")


@login_required
@require_POST
@once_per_form_key
def order_package(request, gig_pk, tier):
    """Order opens the checkout; the order is made once it is paid (nothing is left behind by a click)."""
    try:
        checkout = services.order_package_checkout(gig_id=gig_pk, tier=tier, buyer=request.user)
    except (OrderError, PaymentError) as exc:
        messages.error(request, str(exc))
        return redirect(request.META.get("HTTP_REFERER") if _safe_referer(request) else "marketplace:gig_list")
    return redirect(checkout.get_absolute_url())


def _safe_referer(request):
    ref = request.META.get("HTTP_REFERER")
    return bool(ref) and url_has_allowed_host_and_scheme(ref, allowed_hosts={request.get_host()})


# --- reviews and tips ------------------------------------------------------------
@login_required
@require_POST
@once_per_form_key
def review_submit(request, pk):
    order = selectors.order_for_user(user=request.user, pk=pk)
    form = _page_form("review", request)
    if not form.is_valid():
        return order_page(request, order.pk, Refused("review", form=form))
    try:
        services.review_submit(order_id=order.pk, author=request.user, **form.cleaned_data)
    except OrderError as exc:
        return order_page(request, order.pk, Refused("review", form=_refuse(form, exc)))
    messages.success(request, "Thank you for your review.")
    return redirect(order.get_absolute_url() + "#reviews")


@login_required
@require_POST
@once_per_form_key
def review_reply(request, pk):
    review = get_object_or_404(Review.objects.select_related("order"), pk=pk)
    if not selectors.can_see_order(request.user, review.order):
        raise Http404
    form = ReplyForm(request.POST, auto_id=f"reply{review.pk}_%s")
    if form.is_valid():
        try:
            services.review_reply(review_id=review.pk, actor=request.user, reply=form.cleaned_data["reply"])
        except OrderError as exc:
            _refuse(form, exc)
    if form.errors:
        return order_page(request, review.order_id, Refused("reply", form=form, target=review.pk))
    messages.success(request, "Your reply is published.")
    return redirect(review.order.get_absolute_url() + "#reviews")


@login_required
@require_POST
@once_per_form_key
def order_tip(request, pk):
    order = selectors.order_for_user(user=request.user, pk=pk)
    form = _page_form("tip", request)
    if not form.is_valid():
        return order_page(request, order.pk, Refused("tip", form=form))
    try:
        checkout = services.tip_checkout_start(
            order_id=order.pk, actor=request.user, amount_cents=form.cleaned_data["amount"]
        )
    except (OrderError, PaymentError) as exc:
        return order_page(request, order.pk, Refused("tip", form=_refuse(form, exc)))
    return redirect(checkout.get_absolute_url())


# --- dashboards, notifications, help ------------------------------------------------
# The dashboard's lists, each paged by its own query parameter (``?work=2``).
DASHBOARD_LISTS = ("review", "fund", "offers", "orders", "work", "delivered", "offers_sent", "selling")


@login_required
@require_safe
def dashboard(request):
    pages = {name: request.GET.get(name) for name in DASHBOARD_LISTS}
    context = {
        "buying": selectors.buyer_dashboard(user=request.user, pages=pages),
        "selling": selectors.seller_dashboard(user=request.user, pages=pages),
    }
    return render(request, "orders/dashboard.html", context)


@login_required
@require_safe
def notifications(request):
    items = selectors.notifications_for(user=request.user)
    return render(request, "orders/notifications.html", {"notifications": items})


@login_required
@require_POST
def notifications_read(request):
    form = NotificationReadForm(request.POST)
    form.is_valid()
    if "id" in form.errors:  # not a number (``id=abc``): nothing to look up
        messages.error(request, "That notification could not be found, so nothing was marked as read.")
        return redirect("notifications")
    try:
        services.notifications_mark_read(user=request.user, pk=form.cleaned_data["id"])
    except OrderError as exc:
        messages.error(request, str(exc))
        return redirect("notifications")
    target = form.cleaned_data.get("next") or ""
    # Only a path on this site (a bare word would be taken for a URL name by redirect()).
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications")


@require_safe
def lifecycle_help(request):
    return render(
        request,
        "orders/lifecycle.html",
        {"diagram": lifecycle_diagram(), "steps": lifecycle_steps()},
    )
