"""HTTP only: parse the form, call one service, say what happened, redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.once import once_per_form_key
from config.converters import MAX_ID
from config.uploads import serve_private_file

from . import hooks, selectors, services
from .contact_filter import off_platform_reasons
from .exceptions import MarketplaceError
from .forms import ContactForm, CustomOfferRequestForm, GigForm, GigSearchForm, MessageForm
from .models import GigStatus

GIGS_PER_PAGE = 20
CONVERSATIONS_PER_PAGE = 30
OFF_PLATFORM_NOTICE = (
    "Your message was sent, but it seems to share {what}. Keep talking and paying here: "
    "deals made off the platform leave both of you without payment protection or support."
)


# --- Browse and gig pages --------------------------------------------------------------


@require_GET
def gig_list(request):
    tree = selectors.category_tree()
    form = GigSearchForm(request.GET or None, tree=tree)
    if form.is_bound:
        form.is_valid()  # invalid fields are shown with their message and left out of the search
    search = form.search_kwargs() if form.is_bound else {}
    page = selectors.gig_search_page(page=request.GET.get("page"), per_page=GIGS_PER_PAGE, **search)
    return render(
        request,
        "marketplace/gig_list.html",
        {
            "form": form,
            "page": page,
            "gigs": page.object_list,
            "tree": tree,
            "query": search.get("q", ""),
            "has_filters": form.is_bound and form.has_filters,
        },
    )


@require_GET
def gig_by_id(request, pk):
    """``/gigs/<id>/`` answers with the canonical ``/gigs/<slug>/``."""
    return redirect("marketplace:gig_detail", slug=selectors.gig_public_slug(pk=pk), permanent=True)


def _gig_page(request, gig, *, contact_form=None, request_form=None, status=200):
    stats = selectors.stats_of(gig.seller)
    return render(
        request,
        "marketplace/gig_detail.html",
        {
            "gig": gig,
            "stats": stats,
            "is_owner": request.user.is_authenticated and request.user.pk == gig.seller_id,
            "packages": list(gig.packages.all()),
            "images": list(gig.images.all()),
            "more_gigs": selectors.gigs_of_seller(seller=gig.seller, exclude_pk=gig.pk, limit=3),
            "contact_form": contact_form or ContactForm(),
            "request_form": request_form or CustomOfferRequestForm(),
            "reviews": selectors.reviews_page(seller=gig.seller, page=request.GET.get("reviews")),
        },
        status=status,
    )


@require_GET
def gig_detail(request, slug):
    gig = selectors.gig_for_display(slug=slug, viewer=request.user)
    return _gig_page(request, gig)


@require_GET
def gig_image(request, pk, variant):
    image = selectors.gig_image_for_display(pk=pk, viewer=request.user)
    return serve_private_file(image.thumbnail if variant == "thumb" else image.image, as_attachment=False)


def _after_message(request, message):
    reasons = off_platform_reasons(message.body) if message.off_platform else []
    if reasons:
        messages.warning(request, OFF_PLATFORM_NOTICE.format(what=" and ".join(reasons)))
    return redirect(reverse("marketplace:conversation", args=[message.conversation_id]) + "#latest")


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form_key
def gig_contact(request, slug):
    """ "Contact seller": the first message opens (or reuses) the conversation."""
    gig = selectors.gig_for_display(slug=slug, viewer=request.user)
    form = ContactForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                message = services.seller_contact(
                    buyer=request.user, gig=gig, body=form.cleaned_data["body"], files=form.cleaned_data["files"]
                )
            except MarketplaceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Your message was sent to {gig.seller.public_name}.")
                return _after_message(request, message)
        else:
            messages.error(request, "Your message was not sent: please correct the errors below.")
        return render(request, "marketplace/gig_contact.html", {"gig": gig, "form": form}, status=400)
    return render(request, "marketplace/gig_contact.html", {"gig": gig, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form_key
def gig_request_offer(request, slug):
    """A buyer asks for a custom offer from a gig page; it lands in the conversation."""
    gig = selectors.gig_for_display(slug=slug, viewer=request.user)
    form = CustomOfferRequestForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                message = services.custom_offer_request_send(buyer=request.user, gig=gig, **form.service_kwargs())
            except MarketplaceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "Your request was sent. The seller can answer with a custom offer.")
                return _after_message(request, message)
        else:
            messages.error(request, "Your request was not sent: please correct the errors below.")
        return render(request, "marketplace/gig_request.html", {"gig": gig, "form": form}, status=400)
    return render(request, "marketplace/gig_request.html", {"gig": gig, "form": form})


# --- Selling: the seller's own gigs -----------------------------------------------------------


@login_required
@require_GET
def my_gigs(request):
    gigs = selectors.gigs_managed_by(seller=request.user)
    return render(request, "marketplace/my_gigs.html", {"gigs": gigs})


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form_key
def gig_create(request):
    tree = selectors.category_tree()
    form = GigForm(request.POST or None, request.FILES or None, tree=tree)
    if request.method == "POST":
        if form.is_valid():
            try:
                gig = services.gig_create(
                    seller=request.user, images=form.cleaned_data["images"], **form.service_kwargs()
                )
            except MarketplaceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your gig is published.")
                return redirect(gig.get_absolute_url())
        messages.error(request, "The gig was not saved: please correct the errors below.")
    status = 400 if form.is_bound else 200
    return render(request, "marketplace/gig_form.html", {"form": form, "gig": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def gig_edit(request, pk):
    gig = selectors.gig_for_owner(user=request.user, pk=pk)
    tree = selectors.category_tree()
    form = GigForm(request.POST or None, request.FILES or None, tree=tree, gig=gig)
    if request.method == "POST":
        if form.is_valid():
            try:
                gig = services.gig_update(
                    gig=gig,
                    actor=request.user,
                    new_images=form.cleaned_data["images"],
                    remove_image_ids=form.cleaned_data["remove_images"],
                    **form.service_kwargs(),
                )
            except MarketplaceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your changes are saved.")
                return redirect("marketplace:my_gigs")
        messages.error(request, "Nothing was changed: please correct the errors below.")
    status = 400 if form.is_bound else 200
    return render(request, "marketplace/gig_form.html", {"form": form, "gig": gig}, status=status)


def _status_action(service, done_message):
    @login_required
    @require_POST
    def view(request, pk):
        gig = selectors.gig_for_owner(user=request.user, pk=pk)
        try:
            service(gig=gig, actor=request.user)
        except MarketplaceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done_message.format(title=gig.title))
        return redirect("marketplace:my_gigs")

    view.__name__ = service.__name__
    return view


gig_pause = _status_action(services.gig_pause, "“{title}” is paused: buyers no longer see it.")
gig_activate = _status_action(services.gig_activate, "“{title}” is active again.")
gig_delete = _status_action(services.gig_delete, "“{title}” was deleted.")


# --- Seller profile -----------------------------------------------------------------


@require_GET
def seller_profile(request, pk):
    seller, stats = selectors.seller_for_profile(pk=pk)
    return render(
        request,
        "marketplace/seller_profile.html",
        {
            "seller": seller,
            "stats": stats,
            "gigs": selectors.gigs_of_seller(seller=seller),
            "reviews": selectors.reviews_page(seller=seller, page=request.GET.get("reviews")),
            "is_self": request.user.is_authenticated and request.user.pk == seller.pk,
        },
    )


# --- Inbox and conversations ---------------------------------------------------------


@login_required
@require_GET
def inbox(request):
    conversations = selectors.inbox_conversations(user=request.user)
    page = Paginator(conversations, CONVERSATIONS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "conversation": c,
            "other": c.other_party(request.user),
            "unread": c.unread_for(request.user),
            "role": "buying" if c.buyer_id == request.user.pk else "selling",
        }
        for c in page.object_list
    ]
    return render(request, "marketplace/inbox.html", {"page": page, "rows": rows})


def _id_or_none(value):
    """A message id from the query string (``?before=``), or None for anything that cannot be one."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number <= MAX_ID else None


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form_key
def conversation(request, pk):
    conv = selectors.conversation_for_user(user=request.user, pk=pk)
    before = _id_or_none(request.GET.get("before"))
    # the live poll's side (base.html, static/js/live.js): read before the messages, so a message sent in
    # between costs one more refresh and is never missed
    live = {
        "watch": f"c={conv.pk}",
        "stamp": selectors.conversation_stamp(user=request.user, pk=conv.pk),
        "page": conv.get_absolute_url() + (f"?before={before}" if before else ""),
    }
    form = MessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                message = services.message_send(
                    conversation=conv,
                    sender=request.user,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["files"],
                )
            except MarketplaceError as exc:
                form.add_error(None, str(exc))
            else:
                return _after_message(request, message)
        messages.error(request, "Your message was not sent: please correct the errors below.")
        status = 400
    elif conv.unread_for(request.user):
        services.conversation_mark_read(conversation=conv, user=request.user)
    page = selectors.conversation_messages(conversation=conv, before=before)
    hooks.decorate_messages(page.messages)  # e.g. the orders app's offer cards
    return render(
        request,
        "marketplace/conversation.html",
        {
            "conversation": conv,
            "other": conv.other_party(request.user),
            "role": "buyer" if conv.buyer_id == request.user.pk else "seller",
            "message_page": page,
            "form": form,
            "gig_is_open": conv.gig is not None and conv.gig.status == GigStatus.ACTIVE,
            "live": live,
        },
        status=status,
    )


@login_required
@require_GET
def attachment(request, pk, attachment_pk):
    file = selectors.attachment_for_user(user=request.user, conversation_pk=pk, pk=attachment_pk)
    if not file.file:
        raise Http404
    return serve_private_file(file.file, as_attachment=True, filename=file.name)
