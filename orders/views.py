"""HTTP only: parse the form, call one service, turn its refusal into a message, redirect."""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_POST, require_safe

from accounts.once import once_per_form_key
from config import clock
from config.forms import form_errors_to_messages
from config.uploads import serve_private_file
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
def _blank_form(form_class, prefix, language):
    """The HTML of an empty ``form_class``, rendered once per process and language.

    The order page only ever shows its action forms empty (a refused action redirects back with the
    errors as messages), so their HTML never changes; Django renders a form through a template per
    field and widget, which cost the order page about 4 ms a form (make bench).
    """
    return form_class(prefix=prefix).render()


ORDER_PAGE_FORMS = {
    "delivery_form": (DeliveryForm, None),
    "revision_form": (RevisionForm, None),
    "extension_form": (ExtensionForm, None),
    "reason_form": (ReasonForm, None),
    "add_form": (PlanItemForm, "add"),
    "review_form": (ReviewForm, None),
    "tip_form": (TipForm, None),
}


@login_required
@require_safe
def order_detail(request, pk):
    context = selectors.order_page(user=request.user, pk=pk)
    language = get_language()
    context.update({name: _blank_form(form, prefix, language) for name, (form, prefix) in ORDER_PAGE_FORMS.items()})
    for milestone in context["milestones"]:
        if "change" in milestone.action_names:
            milestone.change_form = _change_form(milestone)
    return render(request, "orders/order_detail.html", context)


def _change_form(milestone):
    """The plan-change form (the same ``PlanItemForm`` the plan and "add a milestone" use), filled with the
    milestone as it is; its ids are the milestone's own (several milestones share the page)."""
    form = PlanItemForm(
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


def _milestone_for(request, pk):
    milestone = get_object_or_404(Milestone.objects.select_related("order"), pk=pk)
    if request.user.pk not in (milestone.order.buyer_id, milestone.order.seller_id):
        raise Http404("No such milestone.")
    return milestone


@login_required
@require_POST
@once_per_form_key
def milestone_action(request, pk, action):
    """One endpoint for every button on a milestone; the service decides if it is allowed."""
    milestone = _milestone_for(request, pk)
    user, expected = request.user, request.POST.get("expected_state") or None
    url = milestone.order.get_absolute_url() + f"#milestone-{milestone.pk}"
    # each step's service (its effect); what is said when it is done comes from the process declaration
    simple = {
        "approve": milestone_services.milestone_approve,
        "approve_end": milestone_services.milestone_approve_and_end,
        "cancel": milestone_services.milestone_cancel,
        "cancel_late": milestone_services.milestone_cancel_late,
    }
    proposal = ("accept", "decline", "withdraw")
    since = clock.now()  # what is said when done: the step's words and what really moved (process.done_text)
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
            form_class, service = {
                "deliver": (DeliveryForm, _deliver),
                "request_revision": (RevisionForm, _revise),
                "extension": (ExtensionForm, _extend),
                "cancellation": (ReasonForm, _ask_cancel),
                "change": (PlanItemForm, _change),
            }.get(action, (None, None))
            if form_class is None:
                raise Http404("Unknown action.")
            form = form_class(request.POST, request.FILES, prefix="change" if action == "change" else None)
            if not form.is_valid():
                form_errors_to_messages(request, form)
                return redirect(url)
            service(milestone, user, form, expected)
    except (OrderError, PaymentError) as exc:
        messages.error(request, str(exc))
        return redirect(url)
    after = Milestone.objects.select_related("order").get(pk=milestone.pk)
    messages.success(request, process.done_text(action, after, user=user, since=since))
    return redirect(url)


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
    if decision not in ("accept", "decline", "withdraw") or (decision == "withdraw") != own:
        messages.error(
            request,
            "Only the one who asked can withdraw this request; the other side accepts or declines it. "
            "Nothing was changed."
            if decision in ("accept", "decline", "withdraw")
            else "Choose one of the answers on the page. Nothing was changed.",
        )
        return redirect(back)
    since = clock.now()
    try:
        service(**{arg: obj.pk}, actor=request.user, accept=decision == "accept")
        after = Milestone.objects.select_related("order").get(pk=obj.milestone_id)
        messages.success(request, process.answered_text(kind, decision, after, user=request.user, since=since))
    except OrderError as exc:
        messages.error(request, str(exc))
    return redirect(back)


@login_required
@require_POST
@once_per_form_key
def order_add_milestone(request, pk):
    order = selectors.order_for_user(user=request.user, pk=pk)
    form = PlanItemForm(request.POST, prefix="add")
    if form.is_valid():
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
            messages.success(request, "Milestone proposed. It is added once the other side accepts.")
        except OrderError as exc:
            messages.error(request, str(exc))
    else:
        form_errors_to_messages(request, form)
    return redirect(order)


@login_required
@require_POST
@once_per_form_key
def order_stop(request, pk):
    order = selectors.order_for_user(user=request.user, pk=pk)
    since = clock.now()
    try:
        milestone_services.order_stop(order_id=order.pk, actor=request.user)
        messages.success(request, process.done_text("end_order", order=order, user=request.user, since=since))
    except OrderError as exc:
        messages.error(request, str(exc))
    return redirect(order)


@login_required
@require_safe
def delivery_file(request, pk):
    item = get_object_or_404(DeliveryFile.objects.select_related("delivery__milestone__order"), pk=pk)
    if not selectors.can_see_order(request.user, item.delivery.milestone.order):
        raise Http404
    return serve_private_file(item.file)


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
    try:
        order = services.order_from_package(gig_id=gig_pk, tier=tier, buyer=request.user)
    except OrderError as exc:
        messages.error(request, str(exc))
        return redirect(request.META.get("HTTP_REFERER") if _safe_referer(request) else "marketplace:gig_list")
    first = order.milestones.first()
    messages.success(request, f"Order #{order.pk} created. Fund it to start the work.")
    try:
        checkout = milestone_services.milestone_fund_checkout(milestone=first, actor=request.user)
    except (OrderError, PaymentError) as exc:
        messages.error(request, str(exc))
        return redirect(order)
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
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_submit(order_id=order.pk, author=request.user, **form.cleaned_data)
            messages.success(request, "Thank you for your review.")
        except OrderError as exc:
            messages.error(request, str(exc))
    else:
        form_errors_to_messages(request, form)
    return redirect(order.get_absolute_url() + "#reviews")


@login_required
@require_POST
@once_per_form_key
def review_reply(request, pk):
    review = get_object_or_404(Review.objects.select_related("order"), pk=pk)
    if not selectors.can_see_order(request.user, review.order):
        raise Http404
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.review_reply(review_id=review.pk, actor=request.user, reply=form.cleaned_data["reply"])
            messages.success(request, "Your reply is published.")
        except OrderError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Write your reply.")
    return redirect(review.order.get_absolute_url() + "#reviews")


@login_required
@require_POST
@once_per_form_key
def order_tip(request, pk):
    order = selectors.order_for_user(user=request.user, pk=pk)
    form = TipForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect(order.get_absolute_url() + "#reviews")
    try:
        checkout = services.tip_checkout_start(
            order_id=order.pk, actor=request.user, amount_cents=form.cleaned_data["amount"]
        )
    except (OrderError, PaymentError) as exc:
        messages.error(request, str(exc))
        return redirect(order.get_absolute_url() + "#reviews")
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
