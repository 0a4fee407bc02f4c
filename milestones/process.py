"""The milestone process, declared once (after Sharetribe's ``process.edn``).

Every step a milestone can take is one entry of ``STEPS``: who may take it, the state-machine transition it
runs (if any), its label for buttons, the help page and error messages, its money effect, the timer that
fires it, whether support can take it from the admin, the confirmation it asks for, and the notices each
party gets. ``EVENTS`` declares the notices of what happens around the steps (reminders, the order ending,
requests answered, messages, tips).

Who reads it:

* ``Milestone``'s transitions take their permission from ``who`` (``models.allowed``);
* ``services.run_transition`` records the timeline and sends the step's notices (``announce``);
* the order page's buttons are the steps ``actions_for`` returns for the person looking, placed by ``place``
  (each side's main next step first; disputes and cancellations behind "More options");
* the lifecycle help page lists ``STEPS`` with the transitions read back from the state machine;
* the admin's operator actions are the steps with ``operator=True``.

A new step is one entry here plus its effect (a transition on the model, or a service).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from accounts.notifications import notification_send, notifications_mark_read_for
from accounts.permissions import is_support
from accounts.zones import zoned
from config.money import format_cents
from payments.selectors import refund_words, refunds_for

# who may act
BUYER, SELLER, STAFF = "buyer", "seller", "staff"
PROPOSER, OTHER_SIDE = "proposer", "other side"  # of a proposed milestone


class Actor:
    """Who is acting: a role name per user, or the system (timers, activation)."""

    BUYER = BUYER
    SELLER = SELLER
    STAFF = STAFF
    SYSTEM = "system"
    OTHER = "other"


SYSTEM = object()  # passed as the "user" when the system acts (its role: Actor.SYSTEM)


def role_of(milestone, user) -> str:
    if user is SYSTEM:
        return Actor.SYSTEM
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor.OTHER
    order = milestone.order
    if user.pk == order.buyer_id:
        return Actor.BUYER
    if user.pk == order.seller_id:
        return Actor.SELLER
    if is_support(user):
        return Actor.STAFF
    return Actor.OTHER


def allowed(step):
    """A transition's permission (``Milestone``'s ``@transition``): whoever the step names in ``who``."""

    def permission(milestone, user):
        return allows(step, milestone, user)

    permission.__name__ = f"allowed_{step}"
    return permission


# where the order page shows a step (``Step.place``)
PRIMARY, MORE = "primary", "more"

# who is told
OTHER = "other"  # the party who did not act
BOTH = "both"


@dataclass(frozen=True)
class Notice:
    """One in-app notification (and an email unless ``email`` is false); ``text`` is formatted with the
    milestone's context (``title``, ``actor``, ``amount``, ``due``, ``review_by``, ``order``) and the step's
    own details."""

    to: str  # BUYER, SELLER, OTHER or BOTH
    text: str
    email: bool = True
    link: str = "milestone"  # "milestone" (its place on the order page), "order", "dispute", or a given ``url``


@dataclass(frozen=True)
class Step:
    name: str
    label: str  # the button and the help page
    verb: str  # "You can't {verb} a milestone that is …"
    who: tuple[str, ...]
    transition: str | None = None  # the Milestone.state transition it takes (None: no state change)
    help: str = ""  # what it does, in a sentence (the help page)
    money: str = ""  # its money effect, in words
    timer: str = ""  # the setting whose time fires it (the system's steps)
    operator: bool = False  # support may take it from the admin
    confirm: str = ""  # asked in the browser before it is sent
    done: str = ""  # said after it was done
    form: str = ""  # the order page offers it as this form ("" = a button)
    style: str = ""  # the button's class: "", "secondary" or "danger"
    place: str = ""  # where the order page puts it: PRIMARY (a side's main next action, first and prominent),
    # "" (beside it) or MORE (behind "More options": disputes and cancellations)
    when: Callable | None = None  # extra condition (besides who and the state machine): service and button
    offered: Callable | None = None  # when the page offers the button (a narrower ``when``)
    refusal: str = ""  # said when ``when`` (or a transition's condition) is false
    on_order_page: bool = True  # offered on the order page (else on the dispute page, or by answering a request)
    answers: tuple[str, str, str] = ("", "", "")  # a request step: the accept, decline and withdraw buttons
    own_request_refusal: str = ""  # a request step: said when the one who asked tries to accept it
    details: tuple[str, ...] = ()  # what its notices name besides the milestone (the service taking it gives them)
    who_label: str = ""  # the help page's words for ``who`` where they say more
    told: tuple[str, ...] = ()  # the events (``EVENTS``) that tell people of it besides its own notices
    notices: tuple[Notice, ...] = field(default=())


def _revisions_used_up(m):
    return m.revisions_left == 0 and m.state in ("delivered", "revision_requested")


def _open(m):
    return m.state not in ("approved", "settled", "cancelled")


def _working(m):
    return m.state in ("in_progress", "revision_requested") and not getattr(m, "pending_extension", None)


def _cancellable(m):
    return m.state == "in_progress" and not getattr(m, "pending_cancellation", None)


def _changeable(m):
    return m.state in ("awaiting_funding", "funded") and not getattr(m, "pending_change", None)


def _others_unstarted(m):
    return bool(getattr(m, "others_unstarted", False))


RESOLVED = Notice(BOTH, "The dispute on “{title}” is resolved: {terms}.")

STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        # --- a proposed milestone (a plan change adding one) -----------------------------------
        Step(
            "accept",
            "Accept milestone",
            "accept",
            (OTHER_SIDE,),
            transition="accept",
            help="The other side accepts a proposed milestone; the buyer can then fund it.",
            done="Milestone accepted.",
            notices=(Notice(OTHER, "The proposed milestone “{title}” was accepted."),),
            place=PRIMARY,
        ),
        Step(
            "decline",
            "Decline",
            "decline",
            (OTHER_SIDE,),
            transition="decline",
            help="The other side declines a proposed milestone.",
            done="Milestone declined.",
            style="secondary",
            notices=(Notice(OTHER, "The proposed milestone “{title}” was declined."),),
        ),
        Step(
            "withdraw",
            "Withdraw proposal",
            "withdraw",
            (PROPOSER,),
            transition="withdraw",
            help="Whoever proposed a milestone takes the proposal back.",
            done="Proposal withdrawn.",
            style="secondary",
            notices=(Notice(OTHER, "The proposed milestone “{title}” was withdrawn."),),
        ),
        # --- funding and activation ------------------------------------------------------------
        Step(
            "fund",
            "Fund {amount}",
            "fund",
            (BUYER,),
            transition="fund",
            help="The buyer pays the milestone's amount into escrow (by card or from the balance).",
            money="The buyer's payment is held in escrow for this milestone.",
            notices=(Notice(SELLER, "The buyer funded “{title}” ({amount} in escrow)."),),
            place=PRIMARY,
        ),
        Step(
            "start",
            "Start",
            "start",
            (Actor.SYSTEM,),
            transition="start",
            on_order_page=False,
            help="A funded milestone starts by itself when no other milestone of the order is being worked on; "
            "its due date is counted from then.",
            timer="the previous milestone closes",
            notices=(
                Notice(SELLER, "Milestone “{title}” has started. It is due {due:%d %b, %H:%M %Z}."),
                Notice(BUYER, "Milestone “{title}” has started.", email=False),
            ),
        ),
        # --- delivery and review ---------------------------------------------------------------
        Step(
            "deliver",
            "Submit for review",
            "deliver",
            (SELLER,),
            transition="deliver",
            help="The seller delivers the work (a message, links, files); the buyer's review window starts.",
            done="Delivered. The buyer has been asked to review it.",
            form="deliver",
            notices=(
                Notice(
                    BUYER,
                    "{actor} delivered “{title}”. Review it by {review_by:%d %b, %H:%M %Z} or it is approved "
                    "automatically.",
                ),
            ),
            place=PRIMARY,
        ),
        Step(
            "request_revision",
            "Request revision",
            "request a revision of",
            (BUYER,),
            transition="request_revision",
            help="The buyer asks for changes while revisions are left; the review window pauses.",
            done="Revision requested. The seller has been told.",
            form="request_revision",
            style="secondary",
            refusal="No revisions are left on this milestone. You can approve it, open a dispute, or ask the "
            "seller to grant an extra revision.",
            notices=(Notice(SELLER, "The buyer asked for a revision of “{title}”."),),
        ),
        Step(
            "grant_revision",
            "Grant an extra revision",
            "grant a revision on",
            (SELLER,),
            help="The seller gives one more revision than agreed, once the agreed ones are used up.",
            done="You granted one extra revision.",
            style="secondary",
            when=_open,
            offered=_revisions_used_up,
            refusal="This milestone is closed.",
            notices=(Notice(BUYER, "The seller granted an extra revision on “{title}”."),),
        ),
        Step(
            "approve",
            "Approve & release payment",
            "approve",
            (BUYER,),
            transition="approve",
            help="The buyer approves the delivery; the escrow is released to the seller.",
            money="The escrow goes to the seller's pending earnings, less the platform fee; it clears after "
            "the clearance period.",
            confirm="Approve and release {amount} to the seller?",
            done="Approved. The payment is released to the seller.",
            notices=(Notice(SELLER, "“{title}” was approved: your earnings are pending clearance."),),
            place=PRIMARY,
        ),
        Step(
            "approve_end",
            "Approve and end the order here",
            "approve",
            (BUYER,),
            transition="approve",
            help="The buyer approves this delivery and ends the order: every milestone that has not started is "
            "cancelled and the money held for it is refunded.",
            money="The escrow goes to the seller's pending earnings; the escrow of unstarted milestones is "
            "refunded to the buyer's balance.",
            confirm="Approve, release {amount} to the seller, and end the order here? Milestones that have not "
            "started are cancelled and any money held for them is refunded to your balance.",
            done="Approved: the payment is released to the seller, and the order ended here.{ended}{refund}",
            style="secondary",
            when=_others_unstarted,
            details=("ended_text",),
            notices=(
                Notice(
                    SELLER,
                    "“{title}” was approved: your earnings are pending clearance. The buyer ended the order "
                    "here{ended_text}.",
                ),
            ),
        ),
        Step(
            "auto_approve",
            "Approve automatically",
            "auto-approve",
            (Actor.SYSTEM,),
            transition="auto_approve",
            on_order_page=False,
            help="A delivery the buyer has not answered is approved when the review window ends.",
            money="As an approval: the escrow goes to the seller's pending earnings.",
            timer="the review window ends (MILESTONE_REVIEW_DAYS)",
            refusal="The review window has not ended yet.",
            notices=(
                Notice(SELLER, "“{title}” was approved automatically: your earnings are pending clearance."),
                Notice(BUYER, "“{title}” was approved automatically: the review window ended.", email=False),
            ),
        ),
        # --- disputes --------------------------------------------------------------------------
        Step(
            "open_dispute",
            "Open a dispute",
            "open a dispute on",
            (BUYER, SELLER),
            transition="open_dispute",
            help="Either side asks support to decide; the review window freezes.",
            form="link:orders:dispute_open",
            style="secondary",
            details=("reason", "answer_due"),
            notices=(
                Notice(
                    OTHER,
                    "{actor} opened a dispute on “{title}” ({reason}). Answer by {answer_due:%d %b, %H:%M %Z}, or "
                    "support decides without your side.",
                ),
            ),
            place=MORE,
        ),
        Step(
            "withdraw_dispute",
            "Withdraw the dispute",
            "withdraw the dispute on",
            (BUYER, SELLER),
            transition="withdraw_dispute",
            who_label="whoever opened the dispute",
            help="Whoever opened a dispute closes it; the milestone goes back to where it was.",
            on_order_page=False,
            details=("state",),
            notices=(Notice(OTHER, "{actor} withdrew the dispute on “{title}”; the milestone is “{state}” again."),),
        ),
        Step(
            "resolve_release",
            "Resolve dispute: release to the seller",
            "release",
            (STAFF, Actor.SYSTEM),
            transition="resolve_release",
            help="Support (or an accepted settlement) releases the escrow to the seller.",
            money="The escrow goes to the seller's pending earnings.",
            operator=True,
            on_order_page=False,
            details=("terms",),
            notices=(RESOLVED,),
        ),
        Step(
            "resolve_refund",
            "Resolve dispute: refund the buyer",
            "refund",
            (STAFF, Actor.SYSTEM),
            transition="resolve_refund",
            help="Support (or an accepted settlement) refunds the escrow to the buyer.",
            money="The escrow is refunded to the buyer's balance.",
            operator=True,
            on_order_page=False,
            details=("terms",),
            notices=(RESOLVED,),
        ),
        Step(
            "resolve_split",
            "Resolve dispute: split by amount",
            "split",
            (STAFF, Actor.SYSTEM),
            transition="resolve_split",
            help="Support (or an accepted settlement) splits the escrow between the two.",
            money="The seller's share goes to their pending earnings, the rest back to the buyer's balance.",
            operator=True,
            on_order_page=False,
            details=("terms",),
            notices=(RESOLVED,),
        ),
        # --- cancellations ---------------------------------------------------------------------
        Step(
            "cancel",
            "Cancel milestone",
            "cancel",
            (BUYER, SELLER, STAFF),
            transition="cancel",
            help="A milestone that has not started is cancelled by either side (or by support).",
            money="Any escrow is refunded to the buyer's balance.",
            operator=True,
            confirm="Cancel this milestone?{refund_text}",
            done="The milestone was cancelled.{refund}",
            details=("refunds",),
            style="secondary",
            notices=(Notice(OTHER, "“{title}” was cancelled.{refund}"),),
            place=MORE,
        ),
        Step(
            "cancel_late",
            "Cancel (late) and refund",
            "cancel for lateness",
            (BUYER,),
            transition="cancel_late",
            help="The buyer cancels a late milestone alone once the grace period after its due date passed.",
            money="The escrow is refunded to the buyer's balance.",
            timer="the grace period after the due date has passed (MILESTONE_LATE_CANCEL_GRACE_HOURS)",
            confirm="Cancel the late milestone and get the escrow back?",
            done="You cancelled the late milestone.{refund}",
            style="danger",
            details=("refunds",),
            notices=(Notice(SELLER, "The buyer cancelled the late milestone “{title}”.{refund}"),),
            place=MORE,
        ),
        Step(
            "mutual_cancel",
            "Agree to cancel",
            "cancel",
            (BUYER, SELLER),
            transition="mutual_cancel",
            help="A milestone in progress is cancelled when one side asks and the other agrees.",
            money="The escrow is refunded to the buyer's balance.",
            on_order_page=False,
            told=("cancellation_decided",),
        ),
        # --- requests one side makes and the other answers ---------------------------------------
        Step(
            "extension",
            "Ask for extension",
            "ask for more time on",
            (SELLER,),
            help="The seller asks for more days; the due date moves if the buyer accepts.",
            done="Extension requested. The buyer has been asked.",
            form="extension",
            told=("extension_decided",),
            answers=("Accept", "Decline", ""),
            style="secondary",
            when=_working,
            refusal="You can ask for more time only on a milestone you are working on.",
            details=("days",),
            notices=(Notice(BUYER, "The seller asks for {more_days} on “{title}”."),),
        ),
        Step(
            "cancellation",
            "Ask to cancel",
            "ask to cancel",
            (BUYER, SELLER),
            help="Either side asks to cancel a milestone in progress; it is cancelled if the other agrees.",
            done="Cancellation requested. The other side has been asked.",
            form="cancellation",
            told=("cancellation_decided",),
            answers=("Agree to cancel", "Decline", "Withdraw request"),
            own_request_refusal="The other side must answer your cancellation request.",
            style="secondary",
            when=_cancellable,
            refusal="A mutual cancellation can be asked only while the milestone is in progress.",
            notices=(Notice(OTHER, "{actor} asks to cancel “{title}”."),),
            place=MORE,
        ),
        Step(
            "change",
            "Propose change",
            "change",
            (BUYER, SELLER),
            help="Either side proposes a new title, deliverables, amount, days or revisions for a milestone that "
            "has not started; it applies when the other side accepts.",
            done="Change proposed. It applies once the other side accepts.",
            form="change",
            told=("change_decided",),
            answers=("Accept change", "Decline", "Withdraw"),
            own_request_refusal="The other side must accept your change.",
            style="secondary",
            when=_changeable,
            refusal="Only a milestone that has not started can be changed.",
            notices=(Notice(OTHER, "{actor} proposes a change to “{title}”."),),
        ),
        # --- the order as a whole (forms below the plan, not on one milestone) -----------------------
        Step(
            "propose",
            "Propose another milestone",
            "propose a milestone on",
            (BUYER, SELLER),
            help="Either side proposes an extra milestone; it waits as “Proposed” until the other side accepts.",
            on_order_page=False,
            told=("milestone_proposed",),
        ),
        Step(
            "end_order",
            "End order",
            "end",
            (BUYER,),
            help="After an approved milestone, with none in progress or in review, the buyer ends the order: every "
            "milestone that has not started is cancelled and the money held for it is refunded.",
            money="The escrow of unstarted milestones is refunded to the buyer's balance.",
            done="You ended the order.{ended}{refund}",
            on_order_page=False,
            told=("order_ended",),
        ),
    )
}

# What happens around the steps, and who is told.
EVENTS: dict[str, tuple[Notice, ...]] = {
    "extension_decided": (Notice(SELLER, "The buyer {status} your extension on “{title}”."),),
    "milestone_proposed": (Notice(OTHER, "{actor} proposes a new milestone “{title}”."),),
    "cancellation_decided": (Notice(OTHER, "Cancellation of “{title}”: {status}.{refund}"),),
    "change_decided": (Notice(OTHER, "The change to “{title}” was {status}."),),
    "order_ended": (Notice(BOTH, "Order #{order} is {status}.{review_text}", link="order"),),
    "fund_next": (Notice(BUYER, "Fund the next milestone “{title}” so the seller can start."),),
    "staff_cancelled": (Notice(BOTH, "Support cancelled “{title}”: {detail}{refund}"),),
    # disputes (the case's own events; opening, withdrawing and resolving are steps)
    "dispute_answered": (Notice(OTHER, "{actor} answered your dispute on “{title}”."),),
    "dispute_message": (Notice(OTHER, "{actor} wrote in the dispute on “{title}”."),),
    "dispute_support_message": (Notice(BOTH, "Support wrote in the dispute on “{title}”."),),
    "dispute_escalated": (
        Notice(
            BOTH,
            "The dispute on “{title}” went to support ({how}). You can still agree a settlement until support decides.",
        ),
    ),
    "settlement_proposed": (Notice(OTHER, "{actor} proposes to settle the dispute on “{title}”: {terms}."),),
    "settlement_decided": (Notice(OTHER, "The settlement proposal on “{title}” was {status}."),),
    # timers
    "review_reminder": (
        Notice(
            BUYER,
            "Reminder: “{title}” was delivered a day ago. Approve it or ask for a revision before "
            "{review_by:%d %b, %H:%M %Z}, when it is approved automatically.",
        ),
    ),
    "auto_approve_soon": (Notice(BUYER, "“{title}” will be approved automatically on {review_by:%d %b, %H:%M %Z}."),),
    "due_soon": (Notice(SELLER, "“{title}” is due {due:%d %b, %H:%M %Z}."),),
    "late": (
        Notice(SELLER, "“{title}” is late. Deliver it or ask the buyer for more time."),
        Notice(BUYER, "“{title}” is late. From {grace:%d %b, %H:%M %Z} you can cancel it and get your money back."),
    ),
    "late_cancel_open": (
        Notice(
            BUYER,
            "“{title}” is more than a day late: you can now cancel it and get the escrow back, or keep waiting.",
        ),
    ),
    "funding_reminder": (Notice(BUYER, "The seller is waiting: fund “{title}” so work can continue."),),
}


# --- reading the declaration -------------------------------------------------------------------
@functools.cache
def transition_steps() -> dict[str, Step]:
    """The step that declares each state-machine transition (its ``who`` is the transition's permission)."""
    return {s.transition: s for s in STEPS.values() if s.transition and s.name == s.transition}


def roles_of(milestone, user) -> set[str]:
    """Every name in ``who`` that fits ``user`` on ``milestone``."""
    role = role_of(milestone, user)
    roles = {role}
    if role in (BUYER, SELLER):
        roles.add(PROPOSER if user.pk == milestone.proposed_by_id else OTHER_SIDE)
    return roles


def allows(name, milestone, user) -> bool:
    return bool(roles_of(milestone, user) & set(STEPS[name].who))


def who_text(s: Step) -> str:
    return s.who_label or " or ".join(s.who)


def told(s: Step) -> list[str]:
    """Who is told when step ``s`` is taken: its own notices and those of the events it names."""
    notices = [*s.notices, *(n for event in s.told for n in EVENTS[event])]
    return list(dict.fromkeys(n.to for n in notices))


def parties(name) -> tuple[str, ...]:
    """Which of the order's two parties may take step ``name`` (its ``who`` as buyer/seller)."""
    who = STEPS[name].who
    if PROPOSER in who or OTHER_SIDE in who:
        return (BUYER, SELLER)
    return tuple(role for role in (BUYER, SELLER) if role in who)


def require(name, milestone, *, stale):
    """Refuse a step whose ``when`` is false now (``stale``: the milestone moved on), with its refusal."""
    s = STEPS[name]
    if s.when is not None and not s.when(milestone):
        raise stale(s.refusal)


def label(s: Step, milestone) -> str:
    return s.label.format(amount=format_cents(milestone.amount_cents))


def confirm_text(s: Step, milestone) -> str:
    if not s.confirm:
        return ""
    held = format_cents(milestone.amount_cents)
    refund = f" The {held} held for it goes back to the buyer's balance." if milestone.state == "funded" else ""
    return s.confirm.format(amount=format_cents(milestone.amount_cents), refund_text=refund)


def actions_for(milestone, user) -> list[Step]:
    """The steps ``user`` may take on ``milestone`` now, in declaration order (the order page's buttons).

    A transition step needs the state machine's yes (state, permission and conditions); a request step its
    ``who`` and ``when``; either kind its ``when`` if it has one.
    """
    if role_of(milestone, user) not in (BUYER, SELLER):
        return []  # support acts from the admin's operator actions and the staff pages, not the order page
    available = {t.name for t in milestone.get_available_user_state_transitions(user)}
    actions = []
    for s in STEPS.values():
        if not s.on_order_page:
            continue
        if s.transition is not None:
            if s.transition not in available or not allows(s.name, milestone, user):
                continue
        elif not allows(s.name, milestone, user):
            continue
        if any(test is not None and not test(milestone) for test in (s.when, s.offered)):
            continue
        actions.append(s)
    return actions


@dataclass(frozen=True)
class Action:
    """A step as one person's button on one milestone."""

    step: Step
    name: str
    label: str
    confirm: str
    style: str
    template: str  # the form the page includes ("" = a plain button)
    link: str  # a step offered on its own page (the dispute form)
    place: str = ""  # the step's ``place``: PRIMARY, "" or MORE

    @property
    def testid(self) -> str:
        return self.name.replace("_", "-")


def actions(milestone, user) -> list[Action]:
    result = []
    for s in actions_for(milestone, user):
        link = reverse(s.form[5:], args=[milestone.pk]) if s.form.startswith("link:") else ""
        template = f"orders/actions/{s.form}.html" if s.form and not link else ""
        result.append(
            Action(s, s.name, label(s, milestone), confirm_text(s, milestone), s.style, template, link, s.place)
        )
    return result


@dataclass(frozen=True)
class OpenRequest:
    """A request waiting on a milestone, with the answers ``user`` may give."""

    kind: str  # the step that made it: extension, cancellation, change
    request: object
    answers: tuple[tuple[str, str, str], ...]  # (decision, label, style)
    error: str = ""  # an answer the service refused just now (the order page shows it with the request)


def open_requests(milestone, user) -> list[OpenRequest]:
    """The pending requests on ``milestone`` (``pending_extension`` … set by the page's selector), and the
    answers ``user`` may give: the one who asked may withdraw (where the step has a withdraw answer), the
    other party accepts or declines (as the ``*_decide`` services allow)."""
    found = []
    pending = {"extension": "pending_extension", "cancellation": "pending_cancellation", "change": "pending_change"}
    for kind, attr in pending.items():
        request = getattr(milestone, attr, None)
        if request is None:
            continue
        accept, decline, withdraw = STEPS[kind].answers
        asked_by = request.requested_by_id
        answers: tuple[tuple[str, str, str], ...] = ()
        if user.pk == asked_by:
            answers = (("withdraw", withdraw, "secondary"),) if withdraw else ()
        elif roles_of(milestone, user) & {BUYER, SELLER}:
            answers = (("accept", accept, ""), ("decline", decline, "secondary"))
        found.append(OpenRequest(kind, request, answers))
    return found


# --- telling people ------------------------------------------------------------------------------
def _url(milestone, order, notice: Notice, url=None) -> str:
    if url:
        return url
    if notice.link == "dispute" and milestone is not None:
        return reverse("orders:milestone_dispute", args=[milestone.pk])
    if notice.link == "milestone" and milestone is not None:
        return order.get_absolute_url() + f"#milestone-{milestone.pk}"
    return order.get_absolute_url()


def links_about(milestone, order, url=None) -> list[str]:
    """Every link a notice about ``milestone`` (or ``order``) can carry (``_url``): the order page, the
    milestone's place on it, its dispute page, and the page the notice names (``url``)."""
    links = [order.get_absolute_url(), url or ""]
    if milestone is not None:
        links += [order.get_absolute_url() + f"#milestone-{milestone.pk}"]
        links += [reverse("orders:milestone_dispute", args=[milestone.pk])]
    return links


def context(milestone=None, *, order=None, actor=None, **extra) -> dict:
    ctx = {"order": order.pk if order is not None else None}
    if milestone is not None:
        ctx.update(
            title=milestone.title,
            amount=format_cents(milestone.amount_cents),
            due=milestone.due_at,
            review_by=milestone.auto_approve_at,
            grace=(milestone.due_at + settings.MILESTONE_LATE_CANCEL_GRACE) if milestone.due_at else None,
        )
    ctx["actor"] = getattr(actor, "public_name", "") if actor is not None else ""
    ctx["refund"] = ""  # where a refund went, for the one reading (``refunds``: see ``notify``)
    ctx.update(extra)
    if "days" in extra:
        ctx["more_days"] = plural(int(extra["days"]), "more day", "more days")
    return ctx


def notify(notices, *, milestone=None, order=None, actor=None, url=None, **extra) -> int:
    """Send ``notices`` (a step's or an event's) about ``milestone`` (or ``order``); returns how many went."""
    order = order if order is not None else milestone.order
    refunds = extra.pop("refunds", None)  # what went back to the buyer (``payments.selectors.Refund``s)
    ctx = context(milestone, order=order, actor=actor, **extra)
    sent = 0
    for notice in notices:
        if notice.to == BUYER:
            people = [order.buyer]
        elif notice.to == SELLER:
            people = [order.seller]
        elif notice.to == OTHER:
            people = [order.other_party(actor)]
        else:
            people = [order.buyer, order.seller]
        for person in people:
            if refunds is not None:
                ctx["refund"] = refund_sentence(refunds, to_you=person.pk == order.buyer_id)
            notification_send(
                user=person,
                text=notice.text.format(**zoned(ctx, person)),  # times in the recipient's zone
                url=_url(milestone, order, notice, url),
                email=notice.email,
            )
            sent += 1
    if actor is not None:
        # acting on it answers what the actor was told about it (and they know what they just did): their
        # notifications about it are read now, so the bell counts only what still waits for them
        notifications_mark_read_for(user=actor, urls=links_about(milestone, order, url))
    return sent


def announce_step(name, milestone, actor, **extra) -> int:
    """Tell the parties that step ``name`` was taken on ``milestone`` (by ``actor``; the system has none)."""
    missing = set(STEPS[name].details) - set(extra)
    if missing:
        raise TypeError(f"The notices of step {name!r} need {sorted(missing)}.")
    return notify(STEPS[name].notices, milestone=milestone, actor=actor if _is_user(actor) else None, **extra)


def announce(event, *, milestone=None, order=None, actor=None, **extra) -> int:
    return notify(EVENTS[event], milestone=milestone, order=order, actor=actor if _is_user(actor) else None, **extra)


# --- what a person is told after acting (the success message) -------------------------------------
# A request answered: (step, answer) -> the words ("You accepted the extension: …").
ANSWERED: dict[tuple[str, str], str] = {
    ("extension", "accept"): "You accepted the extension: the due date is now {due}.",
    ("extension", "decline"): "You declined the extension; the due date stays {due}.",
    ("cancellation", "accept"): "You agreed to cancel “{title}”: it is cancelled.{refund}",
    ("cancellation", "decline"): "You declined the cancellation; the work on “{title}” goes on.",
    ("cancellation", "withdraw"): "You withdrew your request to cancel “{title}”.",
    ("change", "accept"): "You accepted the change: “{title}” is now {amount}, {delivery}, {revisions}.",
    ("change", "decline"): "You declined the proposed change; “{title}” stays as it was.",
    ("change", "withdraw"): "You withdrew your proposed change to “{title}”.",
}


def plural(count: int, one: str, many: str) -> str:
    """ "1 day", "3 days": the count and the word that fits it."""
    return f"{count} {one if count == 1 else many}"


def refund_sentence(refunds, *, to_you: bool) -> str:
    """ " $200.00 was added to your balance." (with its leading space), from the ledger's refunds; "" for
    none."""
    words = refund_words(refunds, to_you=to_you)
    return f" {words[0].upper()}{words[1:]}." if words else ""


def ended_sentence(count: int) -> str:
    if not count:
        return ""
    return f" {plural(count, 'milestone that had not started was', 'milestones that had not started were')} cancelled."


def _day(moment) -> str:
    return f"{moment:%d %b}" if moment else "not set yet"


def _texts(milestone, user, refunds, ended=0, order=None) -> dict:
    order = order if order is not None else milestone.order
    words = {"refund": refund_sentence(refunds, to_you=user.pk == order.buyer_id), "ended": ended_sentence(ended)}
    if milestone is not None:
        words.update(
            title=milestone.title,
            amount=format_cents(milestone.amount_cents),
            due=_day(milestone.due_at),
            delivery=plural(milestone.delivery_days, "day", "days"),
            revisions=plural(milestone.revisions_allowed, "revision", "revisions"),
        )
    return words


def done_text(name, milestone=None, *, order=None, user, since) -> str:
    """What ``user`` is told after taking step ``name`` on ``milestone`` (read again after the step; or on
    ``order``, for the order's own steps): the step's ``done`` words, with what really happened since
    ``since`` (milestones ended, refunds and where they went, from the ledger)."""
    text = STEPS[name].done
    if not text:
        return ""
    order = order if order is not None else milestone.order
    whole_order = "{ended}" in text
    ids = list(order.milestones.values_list("pk", flat=True)) if whole_order else [milestone.pk]
    ended = order.milestones.filter(state="cancelled", closed_at__gte=since).count() if whole_order else 0
    return text.format(**_texts(milestone, user, refunds_for(milestone_ids=ids, since=since), ended, order))


def answered_text(kind, decision, milestone, *, user, since) -> str:
    """What ``user`` is told after answering a ``kind`` request with ``decision`` (accept, decline, withdraw)."""
    refunds = refunds_for(milestone_ids=[milestone.pk], since=since)
    return ANSWERED[(kind, decision)].format(**_texts(milestone, user, refunds))


def _is_user(actor) -> bool:
    return actor is not None and hasattr(actor, "pk")
