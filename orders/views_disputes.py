"""The parties' dispute pages. HTTP only: parse the form, call one service, redirect; a refused form is shown
again in place."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.once import once_per_form_key
from accounts.permissions import is_support
from config import clock
from config.uploads import serve_private_file
from milestones import process
from milestones.exceptions import OrderError
from milestones.models import Milestone
from payments.exceptions import PaymentError

from . import disputes
from .dispute_forms import DisputeMessageForm, DisputeOpenForm, SettlementForm
from .dispute_selectors import dispute_page, latest_dispute_for_milestone
from .models import Dispute, DisputeAttachment, DisputeReason, SettlementProposal


def _party_milestone(request, pk):
    milestone = get_object_or_404(Milestone.objects.select_related("order"), pk=pk)
    if request.user.pk not in (milestone.order.buyer_id, milestone.order.seller_id):
        raise Http404("No such milestone.")
    return milestone


@login_required
@once_per_form_key
def dispute_open(request, pk):
    """The open-a-dispute form for a milestone (parties only)."""
    milestone = _party_milestone(request, pk)
    if request.method != "POST" and "open_dispute" not in {
        s.name for s in process.actions_for(milestone, request.user)
    }:
        messages.error(request, f"A dispute can’t be opened on a milestone that is “{milestone.get_state_display()}”.")
        return redirect(milestone.order.get_absolute_url() + f"#milestone-{milestone.pk}")
    form = DisputeOpenForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            dispute = disputes.dispute_open(
                milestone_id=milestone.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                description=form.cleaned_data["description"],
                files=form.cleaned_data["files"],
                expected_state=request.POST.get("expected_state") or None,
            )
        except OrderError as exc:
            form.add_error(None, str(exc))  # at the top of the form, what was typed kept
        else:
            messages.success(request, "Your dispute is open. The other side has been asked to answer.")
            return redirect(dispute)
    return render(
        request,
        "orders/disputes/open.html",
        {"milestone": milestone, "order": milestone.order, "form": form, "reasons": DisputeReason},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_safe
def milestone_dispute(request, pk):
    """The latest dispute on a milestone (the order page links here)."""
    return redirect(latest_dispute_for_milestone(user=request.user, milestone_pk=pk))


def _dispute_page(request, pk, refused=None, form=None):
    """The dispute page; with ``refused`` (the action: answer, message or propose) and its bound ``form``, shown
    again around that form (status 400): what was typed kept, the form open, its errors beside its fields."""
    context = dispute_page(user=request.user, pk=pk)
    context.update(message_form=DisputeMessageForm(), settlement_form=SettlementForm())
    if refused in ("answer", "message"):
        context["message_form"] = form
    elif refused == "propose":
        context["settlement_form"] = form
    context["refused"] = refused or ""
    context["settlement_open"] = refused == "propose" or not context["pending_proposal"]
    return render(request, "orders/disputes/detail.html", context, status=400 if refused else 200)


@login_required
@require_safe
def dispute_detail(request, pk):
    return _dispute_page(request, pk)


def _party_dispute(request, pk):
    dispute = get_object_or_404(Dispute.objects.select_related("order"), pk=pk)
    if dispute.order.party_role(request.user) is None:
        raise Http404("No such dispute.")
    return dispute


def _run(request, dispute, call, done):
    try:
        call()
    except (OrderError, PaymentError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done() if callable(done) else done)
    return redirect(dispute)


@login_required
@require_POST
@once_per_form_key
def dispute_post(request, pk, action):
    """answer / message / propose / withdraw / ask_staff: one endpoint, the service decides."""
    dispute = _party_dispute(request, pk)
    user = request.user
    if action in ("answer", "message"):
        form = DisputeMessageForm(request.POST, request.FILES)
        if form.is_valid():
            service = disputes.dispute_answer if action == "answer" else disputes.dispute_message
            try:
                service(
                    dispute_id=dispute.pk, actor=user, body=form.cleaned_data["body"], files=form.cleaned_data["files"]
                )
            except (OrderError, PaymentError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your answer was added." if action == "answer" else "Message sent.")
                return redirect(dispute)
        return _dispute_page(request, dispute.pk, action, form)
    if action == "propose":
        form = SettlementForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                disputes.settlement_propose(
                    dispute_id=dispute.pk,
                    actor=user,
                    outcome=data["outcome"],
                    seller_amount_cents=data["seller_amount"],
                    note=data["note"],
                )
            except (OrderError, PaymentError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your proposal was sent. The case closes if the other side accepts it.")
                return redirect(dispute)
        return _dispute_page(request, dispute.pk, action, form)
    if action == "withdraw":
        return _run(
            request,
            dispute,
            lambda: disputes.dispute_withdraw(dispute_id=dispute.pk, actor=user),
            "You withdrew the dispute; the milestone is back where it was.",
        )
    if action == "ask_staff":
        return _run(
            request,
            dispute,
            lambda: disputes.dispute_ask_staff(dispute_id=dispute.pk, actor=user),
            "Support will review the case and decide.",
        )
    raise Http404("Unknown action.")


@login_required
@require_POST
@once_per_form_key
def settlement_decide(request, pk, decision):
    proposal = get_object_or_404(SettlementProposal.objects.select_related("dispute__order"), pk=pk)
    dispute = proposal.dispute
    if dispute.order.party_role(request.user) is None:
        raise Http404("No such proposal.")
    if decision == "accept":
        since = clock.now()
        return _run(
            request,
            dispute,
            lambda: disputes.settlement_accept(proposal_id=proposal.pk, actor=request.user),
            lambda: disputes.settlement_answered_text(proposal_id=proposal.pk, user=request.user, since=since),
        )
    if decision == "decline":
        return _run(
            request,
            dispute,
            lambda: disputes.settlement_decline(proposal_id=proposal.pk, actor=request.user),
            lambda: disputes.settlement_answered_text(proposal_id=proposal.pk, user=request.user, since=clock.now()),
        )
    raise Http404("Unknown decision.")


@login_required
@require_safe
def dispute_file(request, pk):
    """An attachment of a dispute: only for the two parties and support staff."""
    item = get_object_or_404(DisputeAttachment.objects.select_related("message__dispute__order"), pk=pk)
    order = item.message.dispute.order
    if order.party_role(request.user) is None and not is_support(request.user):
        raise Http404
    return serve_private_file(item.file, filename=item.name)
