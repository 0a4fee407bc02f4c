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
from django.utils.html import format_html_join

from accounts.permissions import is_support
from config import converters  # noqa: F401 - registers the <id:> path converter
from config.money import AmountField
from payments.exceptions import PaymentError
from payments.selectors import escrow_balance_cents

from . import hooks, process
from .exceptions import OrderError
from .models import Milestone


def operator_transitions(milestone):
    """The operator steps (``operator=True`` in the process declaration) allowed now: the state machine
    allows their transition (conditions included) and their registered action applies.

    Buttons show for anyone who can open the admin page; the view behind them is for support staff only.
    """
    allowed = {t.name for t in milestone.get_available_state_transitions()}
    names = []
    for step in process.STEPS.values():
        action = hooks.operator_action(step.name)
        if not step.operator or action is None or step.transition not in allowed:
            continue
        available = action[1]
        if available is None or available(milestone):
            names.append(step.name)
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
            (reverse("admin:milestones_milestone_transition", args=[milestone.pk, name]), process.STEPS[name].label)
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
        action = hooks.operator_action(name)
        if not is_support(request.user) or action is None or not process.STEPS[name].operator:
            raise Http404
        milestone = get_object_or_404(Milestone.objects.select_related("order"), pk=pk)
        change_url = reverse("admin:milestones_milestone_change", args=[milestone.pk])
        if name not in operator_transitions(milestone):
            messages.error(request, f"The lifecycle does not allow that from “{milestone.get_state_display()}”.")
            return redirect(change_url)
        handler, _, split = action
        label = process.STEPS[name].label
        form = TransitionForm(request.POST or None, split=split)
        if request.method == "POST" and form.is_valid():
            try:
                handler(
                    milestone=milestone,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    seller_amount_cents=form.cleaned_data.get("seller_amount"),
                    expected_state=request.POST.get("expected_state") or None,
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
            # what the action applies to (a resolve step: the open dispute), for the page to show
            "dispute": action[1](milestone) if action[1] is not None else None,
        }
        return TemplateResponse(request, "staff/admin_transition.html", context)
