"""A refused form keeps the work: every form of the order page (and of the dispute pages, where forms post back
too) comes back in place when refused: status 400, what was typed kept, the form open, the error beside the field
it concerns (a service's refusal at the top of that form), files named to choose again, nothing changed.

The cases are derived from the app's lists: every form step of ``process.STEPS`` the order page offers, every
form of ``orders.views.ORDER_PAGE_FORMS``, the request answers and review replies, and the dispute pages' forms.
A new form without a case here fails ``test_every_form_of_the_order_page_has_a_refused_case``.
"""

import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.once import FIELD
from milestones import process
from milestones import services as milestone_services
from orders import services
from orders.views import ORDER_PAGE_FORMS
from tests.orders.builders import approve, deliver, fund, make_order, ms
from tests.orders.dispute_builders import delivered, open_dispute
from tests.security.conftest import fingerprint

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% evidence\n"


def _file(name="notes.txt", content=b"hello", kind="text/plain"):
    return SimpleUploadedFile(name, content, content_type=kind)


# --- building the page each form is on ---------------------------------------------------------------------
def _in_progress():
    return fund(ms(make_order(10000, 10000), 1))


def _delivered():
    return deliver(_in_progress())


def _awaiting_funding():
    return ms(make_order(10000, 10000), 1)


def _completed():
    order = make_order(10000)
    approve(deliver(fund(ms(order, 1))))
    order.refresh_from_db()
    return order


def _published_review():
    order = _completed()
    services.review_submit(order_id=order.pk, author=order.buyer, rating=5, text="Great work.")
    services.review_submit(order_id=order.pk, author=order.seller, rating=5, text="Clear brief.")
    return order.reviews.get(author=order.buyer)


def _pending_extension():
    milestone = _in_progress()
    milestone_services.extension_request(milestone_id=milestone.pk, actor=milestone.order.seller, days=2, reason="Late")
    return milestone.extension_requests.get()


def _disputed():
    _, milestone = delivered()
    return open_dispute(milestone)


@dataclass
class Case:
    """One refused post: where (``url`` of what ``build`` made), by whom, what, and what must come back."""

    build: object
    who: str  # "buyer" or "seller" of the order
    url: object  # (built thing) -> URL
    data: object  # (built thing) -> POST data
    typed: tuple[str, ...] = ()  # what was typed, to find kept in the refused form
    error: str = ""  # the refusal, found in the refused form
    field: str = ""  # the field the error is next to ("": at the top of the form)
    files: tuple[str, ...] = ()  # file names the form must ask to choose again
    order: object = lambda built: built.order  # noqa: E731 - the order the page is of


def _action(name):
    return lambda m: reverse("orders:milestone_action", args=[m.pk, name])


LONG = "Typed words " + "x" * 5000  # longer than any of these fields allows

CASES = {
    # the milestone's form steps (process.STEPS with a ``form``)
    "deliver": Case(
        _in_progress,
        "seller",
        _action("deliver"),
        lambda m: {
            "message": "My typed delivery message",
            "links": "https://example.com/ok\nnot a link",
            "files": [_file()],
            "expected_state": m.state,
        },
        typed=("My typed delivery message", "https://example.com/ok"),
        error="is not a web address",
        field="links",
        files=("notes.txt",),
    ),
    "deliver (service refusal)": Case(
        _in_progress,
        "seller",
        _action("deliver"),
        lambda m: {"message": "My typed delivery message", "links": "", "expected_state": "delivered"},
        typed=("My typed delivery message",),
        error="changed while you were looking",
    ),
    "request_revision": Case(
        _delivered,
        "buyer",
        _action("request_revision"),
        lambda m: {"feedback": LONG, "expected_state": m.state},
        typed=(LONG,),
        error="at most 5000 characters",
        field="feedback",
    ),
    "extension": Case(
        _in_progress,
        "seller",
        _action("extension"),
        lambda m: {"days": "0", "reason": "My typed extension reason"},
        typed=("My typed extension reason",),
        error="greater than or equal to 1",
        field="days",
    ),
    "cancellation": Case(
        _in_progress,
        "buyer",
        _action("cancellation"),
        lambda m: {"reason": LONG[:2500]},
        typed=(LONG[:2500],),
        error="at most 2000 characters",
        field="reason",
    ),
    "change": Case(
        _awaiting_funding,
        "seller",
        _action("change"),
        lambda m: {
            "change-title": "My typed new title",
            "change-description": "My typed deliverables",
            "change-amount": "lots",
            "change-delivery_days": "4",
            "change-revisions_allowed": "1",
        },
        typed=("My typed new title", "My typed deliverables", "lots"),
        error="amount",
        field="change-amount",
    ),
    "open_dispute": Case(
        _delivered,
        "buyer",
        lambda m: reverse("orders:dispute_open", args=[m.pk]),
        lambda m: {
            "description": "My typed dispute description",
            "files": [_file("brief.pdf", PDF, "application/pdf")],
            "expected_state": m.state,
        },
        typed=("My typed dispute description",),
        error="This field is required",
        field="reason",
        files=("brief.pdf",),
    ),
    # the order's own forms
    "add": Case(
        lambda: make_order(10000),
        "buyer",
        lambda o: reverse("orders:add_milestone", args=[o.pk]),
        lambda o: {
            "add-title": "My typed milestone",
            "add-description": "My typed deliverables",
            "add-amount": "",
            "add-delivery_days": "3",
            "add-revisions_allowed": "1",
        },
        typed=("My typed milestone", "My typed deliverables"),
        error="Enter an amount.",
        field="add-amount",
        order=lambda o: o,
    ),
    "add (service refusal)": Case(
        lambda: make_order(10000, 10000, 10000, 10000, 10000, 10000),
        "seller",
        lambda o: reverse("orders:add_milestone", args=[o.pk]),
        lambda o: {
            "add-title": "My typed seventh milestone",
            "add-description": "My typed deliverables",
            "add-amount": "50",
            "add-delivery_days": "3",
            "add-revisions_allowed": "1",
        },
        typed=("My typed seventh milestone", "My typed deliverables"),
        error="at most 6 milestones",
        order=lambda o: o,
    ),
    "review": Case(
        _completed,
        "buyer",
        lambda o: reverse("orders:review", args=[o.pk]),
        lambda o: {"rating": "9", "text": "My typed review"},
        typed=("My typed review",),
        error="Select a valid choice",
        field="rating",
        order=lambda o: o,
    ),
    "tip": Case(
        _completed,
        "buyer",
        lambda o: reverse("orders:tip", args=[o.pk]),
        lambda o: {"amount": "-5"},
        typed=('value="-5"',),
        error="negative",
        field="amount",
        order=lambda o: o,
    ),
    # answers: a review's reply, a request's answer
    "reply": Case(
        _published_review,
        "seller",
        lambda r: reverse("orders:review_reply", args=[r.pk]),
        lambda r: {"reply": LONG[:2500]},
        typed=(LONG[:2500],),
        error="at most 2000 characters",
        field="reply",
    ),
    "answer": Case(
        _pending_extension,
        "buyer",
        lambda r: reverse("orders:request_decide", args=["extension", r.pk]),
        lambda r: {"decision": "withdraw"},
        error="Only the one who asked can withdraw",
        order=lambda r: r.milestone.order,
    ),
    # the dispute page's forms
    "dispute answer": Case(
        _disputed,
        "seller",
        lambda d: reverse("orders:dispute_post", args=[d.pk, "answer"]),
        lambda d: {"body": "", "files": [_file("evidence.pdf", PDF, "application/pdf")]},
        error="This field is required",
        field="body",
        files=("evidence.pdf",),
    ),
    "dispute message": Case(
        _disputed,
        "buyer",
        lambda d: reverse("orders:dispute_post", args=[d.pk, "message"]),
        lambda d: {"body": LONG},
        typed=(LONG,),
        error="at most 5000 characters",
        field="body",
    ),
    "settlement (service refusal)": Case(
        _disputed,
        "buyer",
        lambda d: reverse("orders:dispute_post", args=[d.pk, "propose"]),
        lambda d: {"outcome": "split", "seller_amount": "500", "note": "My typed settlement note"},
        typed=("My typed settlement note", 'value="500"'),
        error="A split gives each side a part of the $100.00 held in escrow",
    ),
}


def test_every_form_of_the_order_page_has_a_refused_case():
    form_steps = {s.name for s in process.STEPS.values() if s.form and s.on_order_page}
    order_forms = set(ORDER_PAGE_FORMS)
    names = {name.split(" (")[0] for name in CASES}
    assert form_steps | order_forms | {"reply", "answer", "dispute answer", "dispute message"} <= names


def refused_block(body):
    """The HTML of the one element the page marks as the refused form (``data-refused``)."""
    marks = re.findall(r"<\w+[^>]*\sdata-refused[\s>=]", body)
    assert len(marks) == 1, marks
    start = re.search(r"<(\w+)[^>]*\sdata-refused[\s>=]", body)
    tag = start.group(1)
    depth = 0
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", body[start.start() :]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return body[start.start() : start.start() + match.end()]
    raise AssertionError("unclosed refused element")


@pytest.mark.parametrize("name", list(CASES))
def test_a_refused_form_comes_back_in_place_with_the_work_kept(client, name):
    case = CASES[name]
    built = case.build()
    order = case.order(built)
    client.force_login(getattr(order, case.who))
    before = fingerprint()
    response = client.post(case.url(built), case.data(built))
    body = response.content.decode()
    assert response.status_code in (200, 400), (name, response.status_code, response.get("Location"))
    assert fingerprint() == before  # nothing changed
    block = refused_block(body)
    assert case.error in block, (name, block[:3000])
    for text in case.typed:
        assert text in block, (name, text)
    if case.field:  # the error is beside its field: no other field between them, and the field is marked
        error_at, field_at = block.index(case.error), block.index(f'name="{case.field}"')
        assert 'name="' not in block[min(error_at, field_at) : max(error_at, field_at)], name
        assert re.search(rf'<[^>]*name="{re.escape(case.field)}"[^>]*aria-invalid="true"', block) or (
            "radio" in block and case.field == "reason"
        ), name
    for file_name in case.files:
        again = block[block.index('data-testid="choose-again"') :]
        assert file_name in again.split("</p>")[0], name
    if block.startswith("<details"):
        assert re.match(r"<details[^>]*\sopen[\s>]", block), name  # the form is open
    # what a screen reader is pointed to (a field's help and errors) is on the page
    assert not dangling_references(body), (name, dangling_references(body))
    if case.field and "radio" not in block:
        described = re.search(rf'<[^>]*name="{re.escape(case.field)}"[^>]*aria-describedby="([^"]+)"', block)
        assert described and any(ref.endswith("_error") for ref in described[1].split()), name


def dangling_references(body) -> list[str]:
    """Ids named by ``aria-describedby`` / ``aria-labelledby`` that no element of the page has."""
    ids = set(re.findall(r'\sid="([^"]+)"', body))
    named = re.findall(r'aria-(?:describedby|labelledby)="([^"]+)"', body)
    return sorted({ref for refs in named for ref in refs.split() if ref not in ids})


def test_a_refused_form_gets_a_fresh_form_key_and_the_corrected_form_goes_through(client):
    milestone = _in_progress()
    client.force_login(milestone.order.seller)
    url = reverse("orders:milestone_action", args=[milestone.pk, "deliver"])
    sent_key = "a" * 32
    refused = client.post(url, {"message": "Work", "links": "nope", "expected_state": "in_progress", FIELD: sent_key})
    assert refused.status_code == 400
    keys = re.findall(rf'name="{FIELD}" value="([0-9a-f]{{32}})"', refused_block(refused.content.decode()))
    assert len(keys) == 1 and keys[0] != sent_key
    fixed = client.post(url, {"message": "Work", "links": "", "expected_state": "in_progress", FIELD: keys[0]})
    assert fixed.status_code == 302
    assert ms(milestone.order, 1).state == "delivered"


def test_a_refused_button_says_why_on_its_milestone(client):
    milestone = _delivered()
    client.force_login(milestone.order.buyer)
    url = reverse("orders:milestone_action", args=[milestone.pk, "approve"])
    assert client.post(url, {"expected_state": "delivered"}).status_code == 302
    again = client.post(url, {"expected_state": "delivered"})
    assert again.status_code == 400
    block = refused_block(again.content.decode())
    assert "changed while you were looking" in block
    body = again.content.decode()
    assert body.index(f'id="milestone-{milestone.pk}"') < body.index("changed while you were looking")


def test_a_refused_form_the_page_does_not_offer_is_said_at_the_top_of_the_page(client):
    review = _published_review()
    client.force_login(review.order.buyer)  # the buyer cannot answer the review about the seller
    before = fingerprint()
    response = client.post(reverse("orders:review_reply", args=[review.pk]), {"reply": "Me too"})
    assert response.status_code == 400 and fingerprint() == before
    block = refused_block(response.content.decode())
    assert 'data-testid="refusal"' in block and "Only the seller who was reviewed can reply" in block
