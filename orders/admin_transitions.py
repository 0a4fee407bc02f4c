"""Milestone transitions as Django admin buttons, only where the state machine allows them.

Each button opens a short form (a reason or a decision is always required)
and calls the same service the Resolution Center uses, so the money, the
timeline, notifications and the audit log are exactly the same as on the
staff pages. Only support staff (and superusers) see and use them.
"""

from django import forms
from django.contrib import admin, messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.permissions import is_support
from config import converters  # noqa: F401 - registers the <id:> path converter
from config.money import AmountField
from milestones.exceptions import OrderError
from milestones.models import Milestone
from payments.exceptions import PaymentError
from payments.selectors import escrow_balance_cents

from .disputes import dispute_resolve
from .models import ACTIVE_DISPUTE_STATUSES, Dispute, DisputeOutcome
from .operations import staff_milestone_cancel

# transition name -> (button label, dispute outcome or None)
OPERATOR_TRANSITIONS = {
    "cancel": ("Cancel (refund any escrow to the buyer)", None),
    "resolve_release": ("Resolve dispute: release to the seller", DisputeOutcome.RELEASE),
    "resolve_refund": ("Resolve dispute: refund the buyer", DisputeOutcome.REFUND),
    "resolve_split": ("Resolve dispute: split by amount", DisputeOutcome.SPLIT),
}


def active_dispute(milestone):
    return Dispute.objects.filter(milestone=milestone, status__in=ACTIVE_DISPUTE_STATUSES).first()


def operator_transitions(milestone):
    """The operator transitions the FSM allows from the milestone's current state (conditions included).

    Buttons show for anyone who can open the admin page; the view behind them is for support staff only.
    """
    allowed = {t.name for t in milestone.get_available_state_transitions()}
    names = [name for name in OPERATOR_TRANSITIONS if name in allowed]
    if any(name.startswith("resolve_") for name in names) and active_dispute(milestone) is None:
        names = [name for name in names if not name.startswith("resolve_")]
    return names


def operator_buttons(milestone):
    """Links to the operator transitions allowed now (support staff only can use them)."""
    names = operator_transitions(milestone)
    if not names:
        return "None: the lifecycle allows no operator action in this state."
    return format_html_join(
        " ",
        '<a class="button" href="{}">{}</a>',
        (
            (reverse("admin:milestones_milestone_transition", args=[milestone.pk, name]), OPERATOR_TRANSITIONS[name][0])
            for name in names
        ),
    )


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label="Reason / decision",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Shown to both parties and kept in the staff audit log.",
    )
    seller_amount = AmountField(label="Seller's share (USD)", required=False)

    def __init__(self, *args, split=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not split:
            del self.fields["seller_amount"]
        else:
            self.fields["seller_amount"].required = True
            self.fields[
                "seller_amount"
            ].help_text = (
                "Of the amount held in escrow (before the seller commission); the rest goes back to the buyer."
            )


class MilestoneTransitionsAdminMixin:
    """Adds the "operator actions" buttons to a milestone's admin page, and the view behind them."""

    @admin.display(description="operator actions")
    def operator_actions(self, obj):
        return operator_buttons(obj) if obj is not None and obj.pk else "–"

    def get_urls(self):
        custom = [
            path(
                "<id:pk>/transition/<slug:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="milestones_milestone_transition",
            )
        ]
        return custom + super().get_urls()

    def transition_view(self, request, pk, name):
        if not is_support(request.user) or name not in OPERATOR_TRANSITIONS:
            raise Http404
        milestone = get_object_or_404(Milestone.objects.select_related("order"), pk=pk)
        change_url = reverse("admin:milestones_milestone_change", args=[milestone.pk])
        if name not in operator_transitions(milestone):
            messages.error(request, f"The lifecycle does not allow that from “{milestone.get_state_display()}”.")
            return redirect(change_url)
        label, outcome = OPERATOR_TRANSITIONS[name]
        form = TransitionForm(request.POST or None, split=outcome == DisputeOutcome.SPLIT)
        if request.method == "POST" and form.is_valid():
            try:
                if outcome is None:
                    staff_milestone_cancel(
                        milestone_id=milestone.pk,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        expected_state=request.POST.get("expected_state") or None,
                    )
                else:
                    dispute = active_dispute(milestone)
                    if dispute is None:
                        raise OrderError("This milestone has no open dispute.")
                    dispute_resolve(
                        dispute_id=dispute.pk,
                        actor=request.user,
                        outcome=outcome,
                        decision=form.cleaned_data["reason"],
                        seller_amount_cents=form.cleaned_data.get("seller_amount"),
                    )
            except (OrderError, PaymentError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Done: {label.lower()}.")
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label}: {milestone}",
            "opts": self.model._meta,
            "original": milestone,
            "milestone": milestone,
            "label": label,
            "form": form,
            "held_cents": escrow_balance_cents(milestone_id=milestone.pk),
            "change_url": change_url,
            "dispute": active_dispute(milestone) if outcome else None,
        }
        return TemplateResponse(request, "staff/admin_transition.html", context)


def staff_case_link(dispute):
    return format_html(
        '<a href="{}">Open case #{} in the Resolution Center</a>',
        reverse("staff_dispute", args=[dispute.pk]),
        dispute.pk,
    )
