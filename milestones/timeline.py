"""The order's history: every transition and request is one timeline event (who, what, when, from, to).

What a person reads for an event: what was done (``STEP_WORDS``, one entry per step of the process
declaration, in the past tense: the step's label is a button), the states' own labels (``State``,
``OrderStatus``), and for what happens around the steps, ``EVENT_WORDS``. Never a state's or an action's
code name.
"""

from .models import OrderStatus, RequestStatus, State, TimelineEvent


def timeline_record(*, order, action, actor=None, milestone=None, from_state="", to_state="", detail=""):
    return TimelineEvent.objects.create(
        order=order,
        milestone=milestone,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        detail=detail,
    )


# What was done, for each step of ``process.STEPS`` (a test fails on a step without words).
STEP_WORDS = {
    "accept": "Accepted the milestone",
    "decline": "Declined the milestone",
    "withdraw": "Withdrew the proposed milestone",
    "fund": "Funded the milestone",
    "start": "The milestone started",
    "deliver": "Delivered the work",
    "request_revision": "Asked for a revision",
    "grant_revision": "Granted an extra revision",
    "approve": "Approved the work",
    "approve_end": "Approved the work and ended the order",
    "auto_approve": "Approved automatically (the review time ended)",
    "open_dispute": "Opened a dispute",
    "withdraw_dispute": "Withdrew the dispute",
    "resolve_release": "Dispute resolved: released to the seller",
    "resolve_refund": "Dispute resolved: refunded to the buyer",
    "resolve_split": "Dispute resolved: split between the two",
    "cancel": "Cancelled the milestone",
    "cancel_late": "Cancelled the late milestone",
    "mutual_cancel": "Cancelled by agreement",
    "extension": "Asked for more time",
    "cancellation": "Asked to cancel",
    "change": "Proposed a change",
    "propose": "Proposed a milestone",
    "end_order": "Ended the order",
}

# Events that are not a step of the process (the order's own, requests answered, disputes, reviews).
EVENT_WORDS = {
    "order_created": "Order opened",
    "order_completed": "Order completed",
    "order_cancelled": "Order cancelled",
    "order_stopped": "Ended the order",
    "milestone_proposed": "Proposed a milestone",
    "milestone_cancel": "Support cancelled the milestone",
    "extension_requested": STEP_WORDS["extension"],
    "cancellation_requested": STEP_WORDS["cancellation"],
    "change_proposed": STEP_WORDS["change"],
    "dispute_answered": "Answered the dispute",
    "dispute_message": "Wrote in the dispute",
    "dispute_escalated": "The dispute went to support",
    "settlement_proposed": "Proposed a settlement",
    "review_written": "Wrote a review",
}
# "<kind>_<status>": a request answered ("Extension request accepted")
REQUEST_NAMES = {
    "extension": "Extension request",
    "cancellation": "Cancellation request",
    "change": "Proposed change",
    "settlement": "Settlement proposal",
}
ANSWER_WORDS = {
    RequestStatus.ACCEPTED: "accepted",
    RequestStatus.DECLINED: "declined",
    RequestStatus.WITHDRAWN: "withdrawn",
    RequestStatus.CLOSED: "closed with the milestone",
    "superseded": "replaced by a newer one",
    "lapsed": "lapsed",
}
STATE_WORDS = {**dict(OrderStatus.choices), **dict(State.choices)}


def event_words(action: str) -> str:
    """What happened, for people: the step's words, or the event's."""
    if action in STEP_WORDS:
        return STEP_WORDS[action]
    if action in EVENT_WORDS:
        return EVENT_WORDS[action]
    kind, _, status = action.partition("_")
    if kind in REQUEST_NAMES and status in ANSWER_WORDS:
        return f"{REQUEST_NAMES[kind]} {ANSWER_WORDS[status]}"
    return action.replace("_", " ").capitalize()  # an event this table does not know yet: still words


def state_words(state: str) -> str:
    return STATE_WORDS.get(state, state.replace("_", " ").capitalize())


def change_words(from_state: str, to_state: str) -> str:
    """The state change of an event, for people: "Awaiting funding → Funded", "now Active", or ""."""
    if from_state and to_state:
        return f"{state_words(from_state)} → {state_words(to_state)}"
    if to_state:
        return f"now {state_words(to_state)}"
    if from_state:
        return f"was {state_words(from_state)}"
    return ""
