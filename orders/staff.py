"""The staff Resolution Center at /staff/disputes/: support staff only, everyone else gets a 404."""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.once import once_per_form_key
from accounts.permissions import is_support
from config.forms import form_errors_to_messages
from config.uploads import serve_private_file
from marketplace.models import MessageAttachment
from milestones.exceptions import OrderError
from payments.exceptions import PaymentError
from payments.selectors import open_card_disputes

from . import disputes
from .dispute_forms import DisputeMessageForm, ResolveForm
from .dispute_selectors import staff_case, staff_queue
from .models import Dispute


def support_required(view):
    """Only active staff in the Support group (or superusers); a 404 for anyone else, signed in or not."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_support(request.user):
            raise Http404("Page not found.")
        return view(request, *args, **kwargs)

    return wrapper


def _case_url(pk):
    return reverse("staff_dispute", args=[pk])


@support_required
@require_safe
def dispute_queue(request):
    context = staff_queue(status=request.GET.get("status") or "active", page=request.GET.get("page") or 1)
    context["card_disputes"] = open_card_disputes()
    return render(request, "staff/disputes/queue.html", context)


@support_required
@require_safe
def dispute_case(request, pk):
    context = staff_case(pk=pk)
    context.update(resolve_form=ResolveForm(user=request.user), message_form=DisputeMessageForm())
    return render(request, "staff/disputes/case.html", context)


@support_required
@require_POST
@once_per_form_key
def dispute_resolve(request, pk):
    dispute = get_object_or_404(Dispute, pk=pk)
    form = ResolveForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            disputes.dispute_resolve(
                dispute_id=dispute.pk,
                actor=request.user,
                outcome=data["outcome"],
                decision=data["decision"],
                seller_amount_cents=data["seller_amount"],
            )
        except (OrderError, PaymentError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "The dispute is resolved; both parties were told your decision.")
            return redirect(_case_url(dispute.pk))
    else:
        form_errors_to_messages(request, form)
    context = staff_case(pk=dispute.pk)
    context.update(resolve_form=form, message_form=DisputeMessageForm())
    return render(request, "staff/disputes/case.html", context, status=400)


@support_required
@require_POST
@once_per_form_key
def dispute_message(request, pk):
    dispute = get_object_or_404(Dispute, pk=pk)
    form = DisputeMessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            disputes.dispute_message(
                dispute_id=dispute.pk,
                actor=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
            messages.success(request, "Your message was sent to both parties.")
        except OrderError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Write a message.")
    return redirect(_case_url(dispute.pk) + "#thread")


@support_required
@require_safe
def conversation_file(request, pk, attachment_pk):
    """A file from the order's conversation, for the case under review."""
    dispute = get_object_or_404(Dispute.objects.select_related("order"), pk=pk)
    item = get_object_or_404(
        MessageAttachment, pk=attachment_pk, message__conversation_id=dispute.order.conversation_id
    )
    return serve_private_file(item.file, filename=item.name)
