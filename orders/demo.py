"""Demo orders for ``seed_demo``, made through the same services people use.

First a year of history (``HISTORY``): the demo sellers' past orders with a few demo clients, each
asked about in a message, answered, offered, funded, delivered (on time or late), approved and
reviewed, with the project clock (``config.clock.set_offset``) moved to when each step happened, in
the order they happened. The sellers' levels, ratings, review counts, on-time rates and response
times are then counted from those rows (``orders.stats``), as every later recount counts them, so a
recount changes nothing. Then the demo buyer's two orders of today: one in progress (a delivery
waiting for review, the next milestone to fund) and one completed with both reviews.

Idempotent: the history is made once (when no demo client has an order yet), and each of today's
orders only when the demo buyer has none with that seller.
"""

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Notification, User
from config import clock
from marketplace import services as marketplace
from marketplace.models import Gig
from milestones import services as milestones
from milestones.models import Order
from payments import services as payments
from payments.demo import demo_payment_method

from . import services
from .services import PlanItem
from .stats import seller_stats_recount

# The demo's clients: they bought from the demo sellers over the past year (no password: nobody logs in as them).
CLIENTS = [
    ("client1@example.com", "Maya Okafor"),
    ("client2@example.com", "Lucas Brandt"),
    ("client3@example.com", "Priya Raman"),
    ("client4@example.com", "Tom Hale"),
    ("client5@example.com", "Inès Moreau"),
    ("client6@example.com", "Kenji Sato"),
    ("client7@example.com", "Olivia Grant"),
    ("client8@example.com", "Diego Alvarez"),
]

# seller's email: (completed orders, of which late, the buyers' ratings in turn). With LEVEL_RULES this
# history earns Sia "Top rated", Sol "Level two" and Kai "Level one" (today's orders add to it).
HISTORY = {
    "seller2@example.com": (100, 3, [5, 5, 5, 4, 5, 5, 5, 5, 4, 5]),
    "seller@example.com": (27, 2, [5, 5, 4, 5, 5, 4, 5, 5, 5, 4]),
    "seller3@example.com": (6, 0, [5, 4, 5, 4, 5, 5, 4]),
}
HISTORY_DAYS = 360  # the history's orders start over the last year, the last one three weeks ago
HISTORY_END_DAYS = 21  # an order of the past takes at most MAX_DAYS + 5 days from question to reviews
MAX_DAYS = 7  # the past orders' delivery time: a week at most (a quick job, even on a longer gig)
REVIEW_TEXTS = {
    5: [
        "Excellent work, delivered exactly what we agreed and explained every step.",
        "Fast, friendly and very professional. I will order again.",
        "Better than I hoped: clear communication and a great result.",
        "Understood the brief straight away and delivered early. Highly recommended.",
        "Second order with this seller and just as good as the first.",
    ],
    4: [
        "Good result; one round of changes was needed, handled quickly.",
        "Solid work and good communication, a little slower than I hoped.",
        "Happy with the outcome; the first draft missed a detail but it was fixed.",
    ],
}
QUESTIONS = [
    "Hi! Could you take this on this week? Details below.",
    "Hello, I have a small project and liked your gig. Are you available?",
    "Hi, is this something you could do for us? Happy to share more.",
]
BUYER_REVIEW_TEXTS = ["Clear brief and quick answers. A pleasure to work with.", "Friendly client, fast approvals."]

ACTIVE_PLAN = [
    PlanItem("Data model and API design", "An OpenAPI spec and the database schema, reviewed together.", 20000, 3, 1),
    PlanItem("Orders and invoices", "Order history and PDF invoices for customers, with tests.", 45000, 7, 2),
    PlanItem("Returns and deploy", "A returns form that emails the team; deployed with CI.", 25000, 4, 1),
]
DONE_PLAN = [
    PlanItem("Logo concepts", "Three logo concepts as SVG and PNG.", 12000, 3, 2),
    PlanItem("Brand guide", "Colours, type and usage rules as a PDF.", 8000, 2, 1),
]


def _pay(milestone, buyer):
    checkout = milestones.milestone_fund_checkout(milestone=milestone, actor=buyer)
    payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=demo_payment_method())


def _order(buyer, seller, items, note):
    gig = Gig.objects.filter(seller=seller).order_by("pk").first()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller, gig=gig)
    offer = services.offer_create(conversation=conversation, author=seller, items=items, note=note, gig=gig)
    return services.offer_accept(offer_id=offer.pk, actor=buyer)


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    run: object = field(compare=False)


def _history(rng: random.Random, sellers: dict, clients: list) -> int:
    """Every past order's steps, run in time order with the clock moved to each; how many orders."""
    now = clock.now()
    start = now - timedelta(days=HISTORY_DAYS)
    span = (HISTORY_DAYS - HISTORY_END_DAYS) * 86400
    queue: list[_Step] = []
    seq = itertools.count()
    made = 0
    for email, (count, late, ratings) in HISTORY.items():
        seller = sellers[email]
        gigs = list(Gig.objects.filter(seller=seller).order_by("created_at", "pk"))
        late_ones = set(rng.sample(range(count), late))
        for index in range(count):
            at = start + timedelta(seconds=span * (index + rng.random()) / count)
            plan = _PastOrder(
                seller=seller,
                buyer=rng.choice(clients),
                gig=_gig_at(gigs, at, rng),
                late=index in late_ones,
                rating=ratings[index % len(ratings)],
                rng=rng,
            )
            heapq.heappush(queue, _Step(at, next(seq), plan.ask))
            made += 1
    try:
        while queue:
            step = heapq.heappop(queue)
            assert step.at < now, "the demo's history reached the present"
            clock.set_offset(step.at - timezone.now())
            for after, then in step.run() or ():
                heapq.heappush(queue, _Step(step.at + after, next(seq), then))
    finally:
        clock.set_offset(None)
    return made


def _gig_at(gigs, at, rng):
    listed = [g for g in gigs if g.created_at <= at]
    return rng.choice(listed) if listed else gigs[0]


@dataclass
class _PastOrder:
    """One past order, step by step; each step returns the next ones as (after how long, step)."""

    seller: User
    buyer: User
    gig: Gig
    late: bool
    rating: int
    rng: random.Random
    order: Order | None = None
    days: int = 1

    def ask(self):
        """A first order between the two starts with a question; a repeat buyer asks for an offer outright."""
        repeat = Order.objects.filter(buyer=self.buyer, seller=self.seller).exists()
        self.conversation = marketplace.conversation_start(buyer=self.buyer, seller=self.seller, gig=self.gig)
        if repeat:
            return [(timedelta(minutes=self.rng.randint(15, 300)), self.offer)]
        marketplace.message_send(conversation=self.conversation, sender=self.buyer, body=self.rng.choice(QUESTIONS))
        return [(timedelta(minutes=self.rng.randint(15, 300)), self.answer)]

    def answer(self):
        marketplace.message_send(
            conversation=self.conversation, sender=self.seller, body="Happy to help: here is an offer for it."
        )
        return self.offer()

    def offer(self):
        days = self.days = min(self.gig.delivery_days, MAX_DAYS)
        item = PlanItem(
            self.gig.title.removeprefix("I will ").capitalize()[:100], "As discussed.", self.gig.price_cents, days
        )
        offer = services.offer_create(
            conversation=self.conversation, author=self.seller, items=[item], note="As discussed.", gig=self.gig
        )
        self.offer_id = offer.pk
        return [(timedelta(hours=self.rng.randint(1, 20)), self.accept)]

    def accept(self):
        self.order = services.offer_accept(offer_id=self.offer_id, actor=self.buyer)
        _pay(self.order.milestones.get(position=1), self.buyer)
        days = self.days
        took = (
            timedelta(days=days, hours=self.rng.randint(6, 30))
            if self.late
            else timedelta(days=max(days - 1, 0), hours=self.rng.randint(1, 20))
        )
        return [(took, self.deliver)]

    def deliver(self):
        milestone = self.order.milestones.get(position=1)
        milestones.milestone_deliver(milestone_id=milestone.pk, actor=self.seller, message="Delivered: files attached.")
        return [(timedelta(hours=self.rng.randint(2, 40)), self.approve)]

    def approve(self):
        milestones.milestone_approve(milestone_id=self.order.milestones.get(position=1).pk, actor=self.buyer)
        return [(timedelta(hours=self.rng.randint(1, 30)), self.review)]

    def review(self):
        text = self.rng.choice(REVIEW_TEXTS[self.rating])
        services.review_submit(order_id=self.order.pk, author=self.buyer, rating=self.rating, text=text)
        return [(timedelta(hours=self.rng.randint(1, 48)), self.review_back)]

    def review_back(self):
        text = self.rng.choice(BUYER_REVIEW_TEXTS)
        services.review_submit(order_id=self.order.pk, author=self.seller, rating=5, text=text)


def _clients() -> list[User]:
    clients = []
    for email, name in CLIENTS:
        user, created = User.objects.get_or_create(
            email=email, defaults={"display_name": name, "date_joined": clock.now() - timedelta(days=HISTORY_DAYS + 30)}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        clients.append(user)
    return clients


def _history_seen(people) -> None:
    """The past's notifications were read, and their emails sent, back then (nobody is emailed today)."""
    for person in people:
        services.notifications_mark_read(user=person)
    Notification.objects.filter(user__in=people, emailed_at=None).update(emailed_at=clock.now())


def seed(stdout) -> None:
    buyer = User.objects.filter(email="buyer@example.com").first()
    seller = User.objects.filter(email="seller@example.com").first()
    designer = User.objects.filter(email="seller2@example.com").first()
    if not (buyer and seller and designer):
        stdout.write("orders: demo people are missing; skipped the demo orders.")
        return
    made = 0
    sellers = {email: User.objects.filter(email=email).first() for email in HISTORY}
    clients = _clients()
    if all(sellers.values()) and not Order.objects.filter(buyer__in=clients).exists():
        made += _history(random.Random(2026), sellers, clients)
        _history_seen([*sellers.values(), *clients])
    if not Order.objects.filter(buyer=buyer, seller=seller).exists():
        order = _order(buyer, seller, ACTIVE_PLAN, "Here is the plan we discussed: three milestones.")
        first = order.milestones.get(position=1)
        _pay(first, buyer)
        milestones.milestone_deliver(
            milestone_id=first.pk,
            actor=seller,
            message="The spec and schema are ready for your review.",
            links="https://example.com/api-spec",
        )
        made += 1
    if not Order.objects.filter(buyer=buyer, seller=designer).exists():
        order = _order(buyer, designer, DONE_PLAN, "Two steps: concepts, then the guide.")
        for position in (1, 2):
            milestone = order.milestones.get(position=position)
            _pay(milestone, buyer)
            milestones.milestone_deliver(milestone_id=milestone.pk, actor=designer, message="Delivered, enjoy!")
            milestones.milestone_approve(milestone_id=milestone.pk, actor=buyer)
        services.review_submit(order_id=order.pk, author=buyer, rating=5, text="Lovely concepts, quick revisions.")
        services.review_submit(order_id=order.pk, author=designer, rating=5, text="Clear brief and fast feedback.")
        made += 1
    # What the events counted, counted once more from the rows (the hourly sweep gives the same).
    seller_stats_recount(seller_ids=[s.pk for s in (seller, designer, *sellers.values()) if s])
    stdout.write(f"orders: {made} demo order{'' if made == 1 else 's'} created.")
