"""Build the benchmark data set on PostgreSQL: bulk inserts, rows shaped exactly as the services write them.

At ``scale=1``: 2,000 sellers (and 6,000 buyers), 20,000 gigs, 20,000 orders
with about 80,000 milestones, their offers, conversations, deliveries,
timeline, reviews, seller stats, and the whole ledger behind them (checkouts,
sandbox charges, escrow accounts, funding / release / clearance / refund /
payout transactions, earnings, payouts).

Going through the services would take hours, so rows are written with
``bulk_create``; every rule the services follow is kept by construction:

* each ledger transaction is written after its entries, in the same database
  transaction, and balances (the database's own triggers check it);
* escrow holds a milestone's amount while it is funded / in progress /
  delivered / in revision, and nothing once it is approved or refunded;
* pending earnings equal each seller's pending account; cleared earnings have
  their clearance transaction; cached balances equal the sum of entries;
* the provider's records (``SandboxOperation``) match the clearing account;
* idempotency keys, fees and commissions are the services' own.

``check()`` runs ``payments.integrity.ledger_breaches`` (what ``manage.py
ledger_check`` runs) and compares a sample of bulk-computed search vectors
with the service's ``gig_search_index_refresh``.
"""

import json
import random
import secrets
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Notification, User
from config import limits
from marketplace.demo import GIGS as DEMO_GIGS
from marketplace.models import (
    Category,
    Conversation,
    Gig,
    GigPackage,
    Message,
    SellerStats,
    Tag,
    level_for,
)
from marketplace.services import gig_ratings_sync
from milestones.models import Delivery, Milestone, Order, OrderStatus, RevisionRequest, State, TimelineEvent
from orders.models import Offer, OfferMilestone, OfferStatus, Review
from payments import fees
from payments.models import (
    AccountKind,
    Checkout,
    CheckoutStatus,
    Earning,
    EarningStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentSource,
    Payout,
    PayoutStatus,
    SandboxOperation,
    TransactionKind,
)

PASSWORD = "bench-pass-2026"  # noqa: S105 - the bench accounts' password, printed in README
SELLERS, BUYERS, GIGS_PER_SELLER, ORDERS = 2000, 6000, 10, 20000
MILESTONE_COUNTS = ([2, 3, 4, 5, 6], [15, 20, 30, 20, 15])  # mean 4 milestones per order
CHUNK = 1000  # orders per database transaction
CLEARANCE_DAYS = 14
REVIEW_WINDOW = timedelta(days=3)
POWER_SELLER_SHARE = 0.02  # the bench seller holds 2% of all orders: a top seller's dashboard

NAMES = (
    "Ava Ben Chloe Dan Elif Farah Gus Hana Ivo Jun Kira Leo Mina Noor Omar Pia Quinn Ravi Sara Tom Uma Vik "
    "Wen Xavi Yara Zoe"
).split()
SURNAMES = "Lee Kim Novak Rossi Silva Sato Haddad Berg Costa Okafor Dubois Meyer Khan Lopez Ivanova".split()
AUDIENCES = (
    "startups small businesses agencies shops restaurants coaches nonprofits creators clinics schools "
    "law firms real estate fitness brands podcasts saas"
).split()
EXTRA_WORDS = (
    "fast professional modern clean custom unique premium affordable responsive minimalist creative "
    "detailed scalable secure friendly"
).split()
PHASES = ["Research", "Draft", "Design", "Build", "Review", "Polish", "Launch"]
CHATTER = [
    "Hi! Thanks for the quick reply, the plan looks good.",
    "Could you share a first draft of the structure before you go further?",
    "Sure, I will send it with the first delivery.",
    "Great, looking forward to it.",
    "Small question about the colours: should we keep the current palette?",
    "Yes please keep it, we can adjust later.",
    "I have uploaded the files to the delivery, have a look when you can.",
    "Thanks, this is exactly what we needed.",
]


def _rng(seed):
    return random.Random(seed)


@dataclass
class Counters:
    rows: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, name, n):
        self.rows[name] += n


def reserve_ids(model, count):
    """Take ``count`` ids from the table's sequence, so related rows can be written before a round trip."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


_DEFAULTS = {}


def copy_rows(model, rows, *, with_id=True):
    """Write ``rows`` (dicts keyed by attname) with COPY: every concrete column, model defaults for the rest."""
    if not rows:
        return 0
    fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
    key = (model, with_id)
    if key not in _DEFAULTS:
        _DEFAULTS[key] = [
            (f.attname, None if f.has_default() and callable(f.default) else f.get_default(), f) for f in fields
        ]
    specs = _DEFAULTS[key]
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    callable_defaults = {f.attname: f.default for f in fields if f.has_default() and callable(f.default)}
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = []
                for attname, default, _field in specs:
                    if attname in row:
                        value = row[attname]
                    elif attname in callable_defaults:
                        value = callable_defaults[attname]()
                    else:
                        value = default
                    if attname in json_fields:
                        value = json.dumps(value if value is not None else {})
                    values.append(value)
                copy.write_row(values)
    return len(rows)


class Ledger:
    """Postings collected in memory, written entries-first per chunk; balances accumulated as deltas."""

    def __init__(self):
        self.entries: list[dict] = []
        self.transactions: list[dict] = []
        self.deltas: dict[int, int] = defaultdict(int)

    def post(
        self,
        *,
        kind,
        key,
        legs,
        when,
        description="",
        user_id=None,
        milestone_id=None,
        checkout_id=None,
        payout_id=None,
        tx_id=None,
    ):
        legs = [(account, amount, memo) for account, amount, memo in legs if amount != 0]
        assert len(legs) >= 2 and sum(a for _acc, a, _m in legs) == 0, (key, legs)
        tx_id = tx_id or uuid.uuid4()
        for account_id, amount, memo in legs:
            self.entries.append(
                {"transaction_id": tx_id, "account_id": account_id, "amount_cents": amount, "memo": memo}
            )
            self.deltas[account_id] += amount
        self.transactions.append(
            {
                "id": tx_id,
                "kind": kind,
                "idempotency_key": key,
                "description": description[:300],
                "user_id": user_id,
                "milestone_id": milestone_id,
                "checkout_id": checkout_id,
                "payout_id": payout_id,
                "created_at": when,
            }
        )
        return tx_id

    def flush(self, counters):
        """Entries first, then their transactions, in one database transaction (the database checks the sums)."""
        with transaction.atomic():
            copy_rows(LedgerEntry, self.entries, with_id=False)
            copy_rows(LedgerTransaction, self.transactions)
        counters.add("ledger entries", len(self.entries))
        counters.add("ledger transactions", len(self.transactions))
        self.entries, self.transactions = [], []


class Builder:
    def __init__(self, *, scale=1.0, seed=2026, log=print):
        self.scale = scale
        self.rng = _rng(seed)
        self.log = log
        self.now = timezone.now()
        self.counters = Counters()
        self.ledger = Ledger()
        self.password = make_password(PASSWORD)
        self.pair_conversation: dict[tuple[int, int], int] = {}
        self.seller_stats = defaultdict(lambda: {"completed": 0, "late": 0, "ratings": []})
        self.order_seq = 0

    # --- helpers ---------------------------------------------------------------
    def n(self, base):
        return max(1, round(base * self.scale))

    def ago(self, days_min, days_max):
        return self.now - timedelta(seconds=self.rng.uniform(days_min * 86400, days_max * 86400))

    def _name(self):
        return f"{self.rng.choice(NAMES)} {self.rng.choice(SURNAMES)}"

    # --- people ----------------------------------------------------------------
    def users(self, prefix, count):
        users = [
            User(
                email=f"{prefix}{i}@bench.example",
                display_name=self._name(),
                password=self.password,
                date_joined=self.ago(30, 720),
            )
            for i in range(count)
        ]
        users = User.objects.bulk_create(users, batch_size=5000)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], batch_size=5000
        )
        self.counters.add("users", len(users))
        return users

    def accounts(self):
        """Every ledger account the data set touches, created up front with a zero balance."""
        # the platform's accounts may already exist (a migration opens them); the users' are all new
        platform = [
            LedgerAccount.objects.get_or_create(kind=kind, user=None)[0]
            for kind in (AccountKind.PLATFORM_REVENUE, AccountKind.PROVIDER_CLEARING, AccountKind.PAYOUTS_IN_TRANSIT)
        ]
        accounts = []
        for seller in self.sellers:
            accounts.append(LedgerAccount(kind=AccountKind.SELLER_PENDING, user=seller))
            accounts.append(LedgerAccount(kind=AccountKind.SELLER_AVAILABLE, user=seller))
        for buyer in self.buyers:
            accounts.append(LedgerAccount(kind=AccountKind.BUYER_BALANCE, user=buyer))
        accounts = [*platform, *LedgerAccount.objects.bulk_create(accounts, batch_size=5000)]
        self.platform = {a.kind: a.pk for a in accounts if a.user_id is None}
        self.user_account = {(a.kind, a.user_id): a.pk for a in accounts if a.user_id is not None}
        self.counters.add("ledger accounts", len(accounts))

    # --- catalogue -------------------------------------------------------------
    def catalogue(self):
        subcategories = list(Category.objects.filter(parent__isnull=False))
        by_slug = {c.slug: c for c in subcategories}
        tag_names = sorted({t for g in DEMO_GIGS for t in g[3]} | set(EXTRA_WORDS[:5]))
        tags = Tag.objects.bulk_create([Tag(name=name) for name in tag_names], ignore_conflicts=True)
        tags = list(Tag.objects.filter(name__in=tag_names))
        gigs, templates = [], []
        for seller in self.sellers:
            for _ in range(GIGS_PER_SELLER):
                template = self.rng.choice(DEMO_GIGS)
                _, sub_slug, title, _tags, price, days, milestones, _packages, pitch = template
                words = title.split()
                if len(words) > 4 and self.rng.random() < 0.6:
                    words.insert(3, self.rng.choice(EXTRA_WORDS))
                title = f"{' '.join(words)} for {self.rng.choice(AUDIENCES)}"[:100]
                price_cents = max(500, int(price * 100 * self.rng.uniform(0.5, 2.0)) // 100 * 100)
                created = self.ago(1, 700)
                gigs.append(
                    Gig(
                        seller=seller,
                        title=title,
                        slug="",
                        description=f"{pitch}\n\n{self.rng.choice(CHATTER)} Delivered with care for "
                        f"{self.rng.choice(AUDIENCES)}: {', '.join(self.rng.sample(EXTRA_WORDS, 4))}.",
                        category=by_slug.get(sub_slug) or self.rng.choice(subcategories),
                        price_cents=price_cents,
                        delivery_days=max(1, int(days * self.rng.uniform(0.5, 1.5))),
                        offers_milestones=milestones or self.rng.random() < 0.3,
                        created_at=created,
                        updated_at=created,
                    )
                )
                templates.append(template)
        for i, gig in enumerate(gigs):
            gig.slug = f"{slugify(gig.title)[:80].strip('-')}-{i + 1}"
        gigs = Gig.objects.bulk_create(gigs, batch_size=5000)
        packages, gig_tags = [], []
        through = Gig.tags.through
        for gig, template in zip(gigs, templates, strict=True):
            if template[7] or self.rng.random() < 0.4:
                for k, tier in enumerate(("basic", "standard", "premium")):
                    packages.append(
                        GigPackage(
                            gig=gig,
                            tier=tier,
                            name=tier.capitalize(),
                            description=f"The {tier} package of this gig.",
                            price_cents=gig.price_cents * (1, 2, 4)[k],
                            delivery_days=min(limits.max_delivery_days(), gig.delivery_days + 2 * k),
                            revisions=k + 1,
                            features=["Source files", "Commercial use"][: k + 1],
                        )
                    )
            chosen = {t.pk for t in self.rng.sample(tags, 3)} | {t.pk for t in tags if t.name in template[3]}
            for tag_id in sorted(chosen)[:5]:
                gig_tags.append(through(gig_id=gig.pk, tag_id=tag_id))
        GigPackage.objects.bulk_create(packages, batch_size=5000)
        through.objects.bulk_create(gig_tags, batch_size=5000)
        self.gigs_by_seller = defaultdict(list)
        for gig in gigs:
            self.gigs_by_seller[gig.seller_id].append(gig)
        self.counters.add("gigs", len(gigs))
        self.counters.add("gig packages", len(packages))

    def search_vectors(self):
        """The same weighted vector ``marketplace.services.gig_search_index_refresh`` writes, for every gig."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE marketplace_gig g SET search_vector =
                    setweight(to_tsvector('english'::regconfig, COALESCE(g.title, '')), 'A')
                    || setweight(to_tsvector('english'::regconfig,
                        COALESCE(s.tags || ' ', ' ') || s.category || ' ' || COALESCE(s.parent, '')), 'B')
                    || setweight(to_tsvector('english'::regconfig, COALESCE(g.description, '')), 'C')
                FROM (
                    SELECT g2.id, c.name AS category, p.name AS parent,
                           string_agg(tg.name, ' ' ORDER BY tg.name) AS tags
                    FROM marketplace_gig g2
                    JOIN marketplace_category c ON c.id = g2.category_id
                    LEFT JOIN marketplace_category p ON p.id = c.parent_id
                    LEFT JOIN marketplace_gig_tags gt ON gt.gig_id = g2.id
                    LEFT JOIN marketplace_tag tg ON tg.id = gt.tag_id
                    GROUP BY g2.id, c.name, p.name
                ) s
                WHERE s.id = g.id
                """
            )

    # --- orders ----------------------------------------------------------------
    def plan_order(self, seller, buyer, story):
        """Everything about one order, decided in memory (timestamps consistent with its story)."""
        rng = self.rng
        count = rng.choices(*MILESTONE_COUNTS)[0]
        gig = rng.choice(self.gigs_by_seller[seller.pk])
        items = []
        for i in range(count):
            days = rng.choice([2, 3, 5, 7, 10, 14])
            items.append(
                {
                    "title": f"Phase {i + 1}: {rng.choice(PHASES)}",
                    "amount": rng.choice([2500, 5000, 7500, 10000, 15000, 20000, 30000, 50000]),
                    "days": days,
                    "revisions": rng.choice([1, 2, 3]),
                }
            )
        # How far each milestone got.
        if story == "completed":
            states = [State.APPROVED] * count
        elif story == "cancelled":
            states = [State.CANCELLED] * count
        elif story == "new":
            states = [State.AWAITING_FUNDING] * count
        else:  # active
            approved = rng.randint(0, count - 1)
            current = rng.choices([State.IN_PROGRESS, State.DELIVERED, State.REVISION_REQUESTED], [45, 40, 15])[0]
            later = [
                State.FUNDED if rng.random() < 0.2 else State.AWAITING_FUNDING for _ in range(count - approved - 1)
            ]
            states = [State.APPROVED] * approved + [current] + later
        # Durations of the closed part, then place the order in time so "now" falls where the story says.
        spans = []
        for item, state in zip(items, states, strict=True):
            if state == State.APPROVED:
                work = rng.uniform(0.3, 1.1) * item["days"]
                review = rng.uniform(0.05, 2.9)
                spans.append((work, review))
        closed = sum(w + r for w, r in spans)
        if story == "completed":
            start = self.now - timedelta(days=closed + rng.uniform(0.5, 330))
        elif story == "active":
            current_state = states[len(spans)]
            if current_state == State.IN_PROGRESS:
                into = rng.uniform(0, items[len(spans)]["days"] * (1.3 if rng.random() < 0.1 else 0.95))
            elif current_state == State.DELIVERED:
                into = rng.uniform(0.5, items[len(spans)]["days"]) + rng.uniform(0.02, 2.8)
            else:
                into = rng.uniform(1.0, items[len(spans)]["days"] + 1)
            start = self.now - timedelta(days=closed + into + 0.01)
        else:
            start = self.ago(0.2, 200 if story == "cancelled" else 6.5)
        return {
            "seller": seller,
            "buyer": buyer,
            "gig": gig,
            "items": items,
            "states": states,
            "spans": spans,
            "story": story,
            "start": start,
        }

    def stories(self, count, mix=None):
        mix = mix or {"completed": 55, "active": 33, "cancelled": 7, "new": 5}
        return self.rng.choices(list(mix), list(mix.values()), k=count)

    def build_orders(self, plans, *, with_chatter=True, backlog=False):
        """Write a chunk of planned orders and everything behind them, in one database transaction."""
        rng, now = self.rng, self.now
        with transaction.atomic():
            # conversations (one per buyer/seller pair)
            first_start = {}
            for plan in plans:
                pair = (plan["buyer"].pk, plan["seller"].pk)
                first_start[pair] = min(first_start.get(pair, plan["start"]), plan["start"])
            new_pairs = [pair for pair in first_start if pair not in self.pair_conversation]
            conversations = []
            for (buyer_id, seller_id), conv_id in zip(
                new_pairs, reserve_ids(Conversation, len(new_pairs)), strict=True
            ):
                self.pair_conversation[(buyer_id, seller_id)] = conv_id
                when = first_start[(buyer_id, seller_id)]
                conversations.append(
                    {
                        "id": conv_id,
                        "buyer_id": buyer_id,
                        "seller_id": seller_id,
                        "created_at": when - timedelta(hours=2),
                        "last_message_at": when,
                    }
                )
            self.counters.add("conversations", copy_rows(Conversation, conversations))

            # the offer message, the offer and its plan, the order
            n = len(plans)
            message_ids, offer_ids, order_ids = (reserve_ids(Message, n), reserve_ids(Offer, n), reserve_ids(Order, n))
            messages, offers, plan_rows, orders = [], [], [], []
            for p, message_id, offer_id, order_id in zip(plans, message_ids, offer_ids, order_ids, strict=True):
                conv_id = self.pair_conversation[(p["buyer"].pk, p["seller"].pk)]
                total = sum(i["amount"] for i in p["items"])
                sent = p["start"] - timedelta(hours=1)
                p.update(order_id=order_id, conversation_id=conv_id)
                messages.append(
                    {
                        "id": message_id,
                        "conversation_id": conv_id,
                        "sender_id": p["seller"].pk,
                        "kind": "offer",
                        "created_at": sent,
                        "data": {},
                        "body": f"Sent a custom offer: {len(p['items'])} milestone(s), "
                        f"{total / 100:,.2f} USD in total.",
                    }
                )
                offers.append(
                    {
                        "id": offer_id,
                        "conversation_id": conv_id,
                        "gig_id": p["gig"].pk,
                        "buyer_id": p["buyer"].pk,
                        "seller_id": p["seller"].pk,
                        "author_id": p["seller"].pk,
                        "message_id": message_id,
                        "note": "",
                        "status": OfferStatus.ACCEPTED,
                        "created_at": sent,
                        "expires_at": sent + timedelta(days=7),
                        "decided_at": p["start"],
                        "order_id": order_id,
                    }
                )
                for position, item in enumerate(p["items"], start=1):
                    plan_rows.append(
                        {
                            "offer_id": offer_id,
                            "position": position,
                            "title": item["title"],
                            "description": f"Deliverables of {item['title'].lower()}.",
                            "amount_cents": item["amount"],
                            "delivery_days": item["days"],
                            "revisions_allowed": item["revisions"],
                        }
                    )
                status = {"completed": OrderStatus.COMPLETED, "cancelled": OrderStatus.CANCELLED}.get(
                    p["story"], OrderStatus.ACTIVE
                )
                orders.append(
                    {
                        "id": order_id,
                        "buyer_id": p["buyer"].pk,
                        "seller_id": p["seller"].pk,
                        "gig_id": p["gig"].pk,
                        "conversation_id": conv_id,
                        "title": p["gig"].title[:140],
                        "status": status,
                        "created_at": p["start"],
                        "ended_at": None,
                    }
                )
            copy_rows(Message, messages)

            # milestones, with their timestamps walked forward from the order's start
            total_milestones = sum(len(p["items"]) for p in plans)
            milestone_ids = iter(reserve_ids(Milestone, total_milestones))
            milestones, schedule = [], []
            for p, order in zip(plans, orders, strict=True):
                t = previous_closed = p["start"]
                span_iter = iter(p["spans"])
                last_closed = None
                active_seen = False
                for position, (item, state) in enumerate(zip(p["items"], p["states"], strict=True), start=1):
                    m = {
                        "id": next(milestone_ids),
                        "order_id": order["id"],
                        "position": position,
                        "title": item["title"],
                        "description": f"Deliverables of {item['title'].lower()}.",
                        "amount_cents": item["amount"],
                        "delivery_days": item["days"],
                        "revisions_allowed": item["revisions"],
                        "revisions_used": 0,
                        "extra_revisions": 0,
                        "state": state,
                        "proposed_by_id": p["seller"].pk,
                        "created_at": p["start"],
                        "accepted_at": p["start"],
                    }
                    info = {"late": False, "revision": False, "funded": False}
                    if state == State.APPROVED:
                        work, review = next(span_iter)
                        m["funding_due_at"] = previous_closed
                        m["funded_at"] = m["started_at"] = t + timedelta(minutes=rng.uniform(5, 600))
                        m["due_at"] = m["started_at"] + timedelta(days=item["days"])
                        m["delivered_at"] = m["started_at"] + timedelta(days=work)
                        info["late"] = m["delivered_at"] > m["due_at"]
                        m["delivered_on_time"] = not info["late"]
                        m["approved_at"] = m["closed_at"] = m["delivered_at"] + timedelta(days=review)
                        t = previous_closed = m["approved_at"]
                        info["funded"] = True
                    elif state in (State.IN_PROGRESS, State.DELIVERED, State.REVISION_REQUESTED):
                        active_seen = True
                        m["funding_due_at"] = previous_closed
                        m["funded_at"] = m["started_at"] = t + timedelta(minutes=rng.uniform(5, 60))
                        m["due_at"] = m["started_at"] + timedelta(days=item["days"])
                        if state == State.DELIVERED:
                            m["delivered_at"] = min(
                                now - timedelta(minutes=5),
                                max(m["started_at"] + timedelta(hours=1), now - timedelta(days=rng.uniform(0.02, 2.8))),
                            )
                            m["delivered_on_time"] = m["delivered_at"] <= m["due_at"]
                            m["auto_approve_at"] = m["delivered_at"] + REVIEW_WINDOW
                        elif state == State.REVISION_REQUESTED:
                            m["delivered_at"] = m["started_at"] + timedelta(hours=rng.uniform(2, 20))
                            m["delivered_on_time"] = m["delivered_at"] <= m["due_at"]
                            m["revisions_used"] = 1
                            info["revision"] = True
                        info["funded"] = True
                    elif state == State.FUNDED:
                        m["funded_at"] = p["start"] + timedelta(hours=rng.uniform(1, 5))
                        info["funded"] = True
                    elif state == State.AWAITING_FUNDING:
                        if not active_seen and position == len(p["spans"]) + 1:
                            m["funding_due_at"] = previous_closed
                    elif state == State.CANCELLED:
                        m["closed_at"] = p["start"] + timedelta(hours=rng.uniform(2, 48))
                        if position == 1:
                            m["funding_due_at"] = p["start"]
                            if rng.random() < 0.4:
                                m["funded_at"] = p["start"] + timedelta(hours=1)
                                m["closed_at"] = m["funded_at"] + timedelta(hours=rng.uniform(1, 24))
                                info["funded"] = True
                    milestones.append(m)
                    schedule.append((p, order, m, info))
                    if m.get("closed_at") and (last_closed is None or m["closed_at"] > last_closed):
                        last_closed = m["closed_at"]
                if p["story"] in ("completed", "cancelled"):
                    order["ended_at"] = last_closed or p["start"]
            self.counters.add("orders", copy_rows(Order, orders))
            copy_rows(Offer, offers)  # each accepted offer names its order
            copy_rows(OfferMilestone, plan_rows, with_id=False)
            self.counters.add("milestones", copy_rows(Milestone, milestones))

            self._timeline_and_work(schedule, orders, plans)
            self._money(schedule, backlog=backlog)
            if with_chatter:
                self._chatter(plans)
            self._reviews(plans, orders)
            self.ledger.flush(self.counters)

    def _timeline_and_work(self, schedule, orders, plans):
        events, deliveries, revisions = [], [], []
        for p, order in zip(plans, orders, strict=True):
            events.append(
                {
                    "order_id": order["id"],
                    "actor_id": p["buyer"].pk,
                    "action": "order_created",
                    "from_state": "",
                    "to_state": OrderStatus.ACTIVE,
                    "detail": "",
                    "created_at": p["start"],
                }
            )
        delivered = [(m, info) for _p, _o, m, info in schedule if m.get("delivered_at")]
        delivery_ids = dict(zip([m["id"] for m, _i in delivered], reserve_ids(Delivery, len(delivered)), strict=True))
        for p, order, m, info in schedule:
            buyer_id, seller_id = p["buyer"].pk, p["seller"].pk

            def ev(action, src, dst, when, actor_id=None, detail="", m=m, order=order):
                events.append(
                    {
                        "order_id": order["id"],
                        "milestone_id": m["id"],
                        "actor_id": actor_id,
                        "action": action,
                        "from_state": src,
                        "to_state": dst,
                        "detail": detail,
                        "created_at": when,
                    }
                )

            ev("accept", State.PROPOSED, State.AWAITING_FUNDING, p["start"], buyer_id)
            if info["funded"]:
                ev("fund", State.AWAITING_FUNDING, State.FUNDED, m["funded_at"], buyer_id)
            if m.get("started_at"):
                ev("start", State.FUNDED, State.IN_PROGRESS, m["started_at"])
            if m.get("delivered_at"):
                ev("deliver", State.IN_PROGRESS, State.DELIVERED, m["delivered_at"], seller_id, "Delivery 1")
                deliveries.append(
                    {
                        "id": delivery_ids[m["id"]],
                        "milestone_id": m["id"],
                        "number": 1,
                        "message": "Here is the work for this phase.",
                        "links": "https://example.com/preview",
                        "created_at": m["delivered_at"],
                    }
                )
            if info["revision"]:
                when = m["delivered_at"] + timedelta(hours=3)
                ev("request_revision", State.DELIVERED, State.REVISION_REQUESTED, when, buyer_id, "Please adjust it.")
                revisions.append(
                    {
                        "milestone_id": m["id"],
                        "delivery_id": delivery_ids[m["id"]],
                        "feedback": "Please adjust it.",
                        "created_at": when,
                    }
                )
            if m["state"] == State.APPROVED:
                ev("approve", State.DELIVERED, State.APPROVED, m["approved_at"], buyer_id)
            if m["state"] == State.CANCELLED:
                ev(
                    "cancel",
                    State.FUNDED if info["funded"] else State.AWAITING_FUNDING,
                    State.CANCELLED,
                    m["closed_at"],
                    buyer_id,
                )
        for order in orders:
            if order["status"] != OrderStatus.ACTIVE:
                events.append(
                    {
                        "order_id": order["id"],
                        "actor_id": None,
                        "action": f"order_{order['status']}",
                        "from_state": "active",
                        "to_state": order["status"],
                        "detail": "",
                        "created_at": order["ended_at"],
                    }
                )
        notifications = []
        for p, order in zip(plans, orders, strict=True):
            for user in (p["buyer"], p["seller"]):
                notifications.append(
                    {
                        "user_id": user.pk,
                        "text": f"Order #{order['id']} was updated.",
                        "url": f"/orders/{order['id']}/",
                        "created_at": p["start"],
                        "read_at": p["start"] + timedelta(hours=1),
                        "email_wanted": True,
                        "emailed_at": p["start"],
                    }
                )
        self.counters.add("timeline events", copy_rows(TimelineEvent, events, with_id=False))
        self.counters.add("deliveries", copy_rows(Delivery, deliveries))
        copy_rows(RevisionRequest, revisions, with_id=False)
        copy_rows(Notification, notifications, with_id=False)

    def _money(self, schedule, *, backlog=False):
        """Checkouts, provider charges, escrow accounts and every posting the services would have made."""
        rng, ledger, platform = self.rng, self.ledger, self.platform
        funded = [(p, order, m, info) for p, order, m, info in schedule if info["funded"]]
        checkout_ids, escrow_ids = reserve_ids(Checkout, len(funded)), reserve_ids(LedgerAccount, len(funded))
        approved = [m for _p, _o, m, _i in funded if m["state"] == State.APPROVED]
        earning_ids = iter(reserve_ids(Earning, len(approved)))
        checkouts, charges, escrows, earnings = [], [], [], []
        for (p, order, m, _info), checkout_id, escrow_id in zip(funded, checkout_ids, escrow_ids, strict=True):
            buyer_id, seller_id = p["buyer"].pk, p["seller"].pk
            amount = m["amount_cents"]
            fee = fees.buyer_service_fee_cents(amount)
            checkout_uuid = uuid.uuid4()
            key = f"checkout:{checkout_uuid}"  # Checkout.charge_idempotency_key
            description = f"Order #{order['id']}, milestone {m['position']}: {m['title']}"
            reference = f"sbx_ch_{secrets.token_hex(8)}"
            checkouts.append(
                {
                    "id": checkout_id,
                    "uuid": checkout_uuid,
                    "buyer_id": buyer_id,
                    "payee_id": seller_id,
                    "purpose": "milestone",
                    "reference_id": m["id"],
                    "description": description,
                    "amount_cents": amount,
                    "service_fee_cents": fee,
                    "return_url": f"/orders/{order['id']}/#milestone-{m['id']}",
                    "status": CheckoutStatus.PAID,
                    "paid_with": PaymentSource.CARD,
                    "card_last4": "4242",
                    "provider_reference": reference,
                    "failure_message": "",
                    "created_at": m["funded_at"] - timedelta(minutes=2),
                    "paid_at": m["funded_at"],
                }
            )
            charges.append(
                {
                    "kind": SandboxOperation.Kind.CHARGE,
                    "idempotency_key": key,
                    "reference": reference,
                    "amount_cents": amount + fee,
                    "card_last4": "4242",
                    "charge_reference": "",
                    "description": description[:300],
                    "created_at": m["funded_at"],
                }
            )
            held = amount if m["state"] not in (State.APPROVED, State.CANCELLED) else 0
            escrows.append(
                {
                    "id": escrow_id,
                    "kind": AccountKind.ESCROW,
                    "user_id": None,
                    "milestone_id": m["id"],
                    "balance_cents": held,
                    "created_at": m["funded_at"],
                }
            )
            ledger.post(
                kind=TransactionKind.FUND,
                key=key,
                when=m["funded_at"],
                legs=[
                    (platform[AccountKind.PROVIDER_CLEARING], -(amount + fee), "card payment"),
                    (escrow_id, amount, "held in escrow"),
                    (platform[AccountKind.PLATFORM_REVENUE], fee, "buyer service fee"),
                ],
                description=description,
                user_id=buyer_id,
                milestone_id=m["id"],
                checkout_id=checkout_id,
            )
            if m["state"] == State.APPROVED:
                commission = fees.seller_commission_cents(amount)
                net = amount - commission
                tx = ledger.post(
                    kind=TransactionKind.RELEASE,
                    key=f"escrow_release:{m['id']}",
                    when=m["approved_at"],
                    legs=[
                        (escrow_id, -amount, "released from escrow"),
                        (
                            self.user_account[(AccountKind.SELLER_PENDING, seller_id)],
                            net,
                            "earning (pending clearance)",
                        ),
                        (platform[AccountKind.PLATFORM_REVENUE], commission, "seller commission"),
                    ],
                    description=f"Milestone #{m['id']} approved",
                    user_id=seller_id,
                    milestone_id=m["id"],
                )
                clears_at = m["approved_at"] + timedelta(days=CLEARANCE_DAYS)
                due_now = clears_at <= self.now and not backlog
                earning = {
                    "id": next(earning_ids),
                    "seller_id": seller_id,
                    "milestone_id": m["id"],
                    "checkout_id": None,
                    "description": f"Milestone #{m['id']}",
                    "gross_cents": amount,
                    "commission_cents": commission,
                    "amount_cents": net,
                    "clears_at": clears_at,
                    "status": EarningStatus.PENDING,
                    "on_hold": False,
                    "released_transaction_id": tx,
                    "cleared_transaction_id": None,
                    "created_at": m["approved_at"],
                    "cleared_at": None,
                }
                if due_now:
                    earning["status"] = EarningStatus.CLEARED
                    earning["cleared_at"] = clears_at + timedelta(minutes=rng.uniform(1, 15))
                    earning["cleared_transaction_id"] = ledger.post(
                        kind=TransactionKind.CLEARANCE,
                        key=f"earning_clear:{earning['id']}",
                        when=earning["cleared_at"],
                        description=earning["description"],
                        user_id=seller_id,
                        milestone_id=m["id"],
                        legs=[
                            (self.user_account[(AccountKind.SELLER_PENDING, seller_id)], -net, "cleared"),
                            (self.user_account[(AccountKind.SELLER_AVAILABLE, seller_id)], net, "now available"),
                        ],
                    )
                earnings.append(earning)
            elif m["state"] == State.CANCELLED:
                ledger.post(
                    kind=TransactionKind.REFUND,
                    key=f"escrow_refund:{m['id']}:1",
                    when=m["closed_at"],
                    legs=[
                        (escrow_id, -amount, "refunded from escrow"),
                        (self.user_account[(AccountKind.BUYER_BALANCE, buyer_id)], amount, "refund to balance"),
                    ],
                    description=f"Milestone #{m['id']} refunded to the balance",
                    user_id=buyer_id,
                    milestone_id=m["id"],
                )
        self.counters.add("checkouts", copy_rows(Checkout, checkouts))
        copy_rows(SandboxOperation, charges, with_id=False)
        self.counters.add("ledger accounts", copy_rows(LedgerAccount, escrows))
        self.counters.add("earnings", copy_rows(Earning, earnings))
        if not backlog:
            late_orders = {order["id"] for p, order, _m, info in schedule if info["late"]}
            for p, order in {o["id"]: (p, o) for p, o, _m, _i in schedule}.values():
                if p["story"] == "completed":
                    stats = self.seller_stats[p["seller"].pk]
                    stats["completed"] += 1
                    stats["late"] += order["id"] in late_orders

    def _chatter(self, plans):
        messages = []
        for p in plans:
            messages.append(
                {
                    "conversation_id": p["conversation_id"],
                    "sender_id": p["buyer"].pk,
                    "kind": "system",
                    "data": {},
                    "created_at": p["start"],
                    "body": f"Accepted the offer. Order #{p['order_id']} is open: the buyer funds each "
                    "milestone to start it.",
                }
            )
            t = p["start"]
            for k in range(self.rng.randint(2, 4)):
                t = t + timedelta(hours=self.rng.uniform(1, 30))
                if t >= self.now:
                    break
                sender = p["buyer"] if k % 2 == 0 else p["seller"]
                messages.append(
                    {
                        "conversation_id": p["conversation_id"],
                        "sender_id": sender.pk,
                        "kind": "text",
                        "data": {},
                        "body": self.rng.choice(CHATTER),
                        "created_at": t,
                    }
                )
        self.counters.add("messages", copy_rows(Message, messages, with_id=False))

    def _reviews(self, plans, orders):
        reviews = []
        for p, order in zip(plans, orders, strict=True):
            if order["status"] != OrderStatus.COMPLETED:
                continue
            both = self.rng.random() < 0.5
            buyer_reviews = self.rng.random() < 0.75
            for author, recipient, about_seller, wrote in (
                (p["buyer"], p["seller"], True, buyer_reviews),
                (p["seller"], p["buyer"], False, both),
            ):
                if not wrote:
                    continue
                ended = order["ended_at"]
                published = ended + (timedelta(days=1) if (both and buyer_reviews) else timedelta(days=14))
                rating = self.rng.choices([5, 4, 3, 2, 1], [70, 18, 7, 3, 2])[0]
                reviews.append(
                    {
                        "order_id": order["id"],
                        "author_id": author.pk,
                        "recipient_id": recipient.pk,
                        "about_seller": about_seller,
                        "rating": rating,
                        "text": "Great work, clear communication and on time.",
                        "created_at": ended + timedelta(hours=5),
                        "published_at": published,
                        "reply": "",
                        "replied_at": None,
                    }
                )
                if about_seller and published <= self.now:
                    self.seller_stats[p["seller"].pk]["ratings"].append(rating)
        self.counters.add("reviews", copy_rows(Review, reviews, with_id=False))

    # --- after the orders ------------------------------------------------------
    def payouts(self):
        """About half the sellers withdrew part of what cleared (withdrawal + payout postings, provider payout)."""
        available = {}
        for (kind, user_id), account_id in self.user_account.items():
            if kind == AccountKind.SELLER_AVAILABLE:
                available[user_id] = self.ledger.deltas.get(account_id, 0)
        candidates = [(uid, cents) for uid, cents in available.items() if cents >= 2000 and self.rng.random() < 0.5]
        payouts = Payout.objects.bulk_create(
            [
                Payout(
                    seller_id=uid,
                    amount_cents=cents // 2,
                    idempotency_key=uuid.uuid4().hex,
                    status=PayoutStatus.PAID,
                    provider_reference=f"sbx_pa_{secrets.token_hex(8)}",
                    attempts=1,
                    created_at=self.now - timedelta(days=2),
                    completed_at=self.now - timedelta(days=2),
                )
                for uid, cents in candidates
            ],
            batch_size=5000,
        )
        operations = []
        for payout in payouts:
            available_id = self.user_account[(AccountKind.SELLER_AVAILABLE, payout.seller_id)]
            in_transit = self.platform[AccountKind.PAYOUTS_IN_TRANSIT]
            self.ledger.post(
                kind=TransactionKind.WITHDRAWAL,
                key=f"payout:{payout.pk}:withdrawal",
                when=payout.created_at,
                description="Withdrawal",
                user_id=payout.seller_id,
                payout_id=payout.pk,
                legs=[
                    (available_id, -payout.amount_cents, "withdrawal"),
                    (in_transit, payout.amount_cents, "payout in transit"),
                ],
            )
            self.ledger.post(
                kind=TransactionKind.PAYOUT,
                key=f"payout:{payout.pk}:sent",
                when=payout.completed_at,
                description="Withdrawal paid out",
                user_id=payout.seller_id,
                payout_id=payout.pk,
                legs=[
                    (in_transit, -payout.amount_cents, "payout sent"),
                    (self.platform[AccountKind.PROVIDER_CLEARING], payout.amount_cents, "payout sent"),
                ],
            )
            operations.append(
                SandboxOperation(
                    kind=SandboxOperation.Kind.PAYOUT,
                    idempotency_key=payout.provider_idempotency_key,
                    reference=payout.provider_reference,
                    amount_cents=payout.amount_cents,
                    description="Payout",
                    created_at=payout.completed_at,
                )
            )
        SandboxOperation.objects.bulk_create(operations, batch_size=5000)
        self.counters.add("payouts", len(payouts))

    def write_balances(self):
        """Each cached balance = the sum of its entries (escrow balances were written with their accounts)."""
        rows = [(account_id, delta) for account_id, delta in self.ledger.deltas.items() if delta]
        escrow_ids = set(LedgerAccount.objects.filter(kind=AccountKind.ESCROW).values_list("pk", flat=True))
        rows = [(a, d) for a, d in rows if a not in escrow_ids]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                part = rows[start : start + 5000]
                values = ",".join(["(%s,%s)"] * len(part))
                cursor.execute(
                    f"UPDATE payments_ledgeraccount a SET balance_cents = a.balance_cents + v.delta "  # noqa: S608
                    f"FROM (VALUES {values}) AS v(id, delta) WHERE a.id = v.id",
                    [x for pair in part for x in pair],
                )
        self.ledger.deltas.clear()

    def stats(self):
        rows = []
        for seller in self.sellers:
            s = self.seller_stats.get(seller.pk, {"completed": 0, "late": 0, "ratings": []})
            ratings = s["ratings"]
            from decimal import ROUND_HALF_UP, Decimal

            avg = (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), ROUND_HALF_UP) if ratings else None
            on_time = s["completed"] - s["late"]
            rows.append(
                SellerStats(
                    seller=seller,
                    orders_completed=s["completed"],
                    orders_on_time=on_time,
                    rating_avg=avg,
                    rating_count=len(ratings),
                    avg_response_seconds=self.rng.randint(600, 30000),
                    responses_counted=self.rng.randint(1, 50),
                    level=level_for(
                        orders_completed=s["completed"],
                        orders_on_time=on_time,
                        rating_avg=avg,
                        rating_count=len(ratings),
                    ),
                    updated_at=self.now,
                )
            )
        SellerStats.objects.bulk_create(rows, batch_size=5000)
        gig_ratings_sync()  # each gig carries its seller's rating, as seller_stats_update keeps it

    def finish_conversations(self):
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE marketplace_conversation c SET last_message_at = m.created_at, last_message_preview = m.preview
                FROM (SELECT DISTINCT ON (conversation_id) conversation_id, created_at, left(body, 140) AS preview
                      FROM marketplace_message ORDER BY conversation_id, created_at DESC, id DESC) m
                WHERE m.conversation_id = c.id
                """
            )

    # --- the whole thing ---------------------------------------------------------
    def build(self):
        started = time.monotonic()
        self.sellers = self.users("seller", self.n(SELLERS))
        self.buyers = self.users("buyer", self.n(BUYERS))
        self.accounts()
        self.catalogue()
        self.log(f"  people, accounts and {self.counters.rows['gigs']:,} gigs in {time.monotonic() - started:.0f} s")
        self.power_seller = self.sellers[0]
        total = self.n(ORDERS)
        stories = self.stories(total)
        plans = []
        for story in stories:
            seller = self.power_seller if self.rng.random() < POWER_SELLER_SHARE else self.rng.choice(self.sellers)
            plans.append(self.plan_order(seller, self.rng.choice(self.buyers), story))
        for start in range(0, len(plans), CHUNK):
            self.build_orders(plans[start : start + CHUNK])
        self.log(f"  {total:,} orders in {time.monotonic() - started:.0f} s")
        self.payouts()
        self.ledger.flush(self.counters)
        self.write_balances()
        self.stats()
        self.finish_conversations()
        self.search_vectors()
        return self.counters.rows

    def build_clearance_backlog(self, count):
        """``count`` approved milestones whose 14 days have passed and whose clearance has not run yet.

        (A worker down for a while.) Same construction as the main data set,
        without the conversation chatter the sweep never reads.
        """
        per_order = 4
        plans = []
        for _ in range(max(1, count // per_order)):
            seller, buyer = self.rng.choice(self.sellers), self.rng.choice(self.buyers)
            plan = self.plan_order(seller, buyer, "completed")
            plan["items"] = plan["items"][:per_order] + [dict(plan["items"][0])] * (per_order - len(plan["items"]))
            plan["states"] = [State.APPROVED] * per_order
            plan["spans"] = [(self.rng.uniform(0.5, 3), self.rng.uniform(0.1, 2)) for _ in range(per_order)]
            closed = sum(w + r for w, r in plan["spans"])
            plan["start"] = self.now - timedelta(days=CLEARANCE_DAYS + closed + self.rng.uniform(2, 20))
            plans.append(plan)
        for start in range(0, len(plans), CHUNK):
            self.build_orders(plans[start : start + CHUNK], with_chatter=False, backlog=True)
        self.write_balances()
        return len(plans) * per_order


def load_population():
    """Sellers and buyers of an existing bench database (for steps that add to it)."""
    return (
        list(User.objects.filter(email__startswith="seller", email__endswith="@bench.example").order_by("pk")),
        list(User.objects.filter(email__startswith="buyer", email__endswith="@bench.example").order_by("pk")),
    )


def check(log=print, sample=20):
    """The ledger's invariants hold over the whole data set, and bulk search vectors equal the service's."""
    from marketplace.services import gig_search_index_refresh
    from payments.integrity import ledger_breaches

    started = time.monotonic()
    breaches = ledger_breaches()
    if breaches:
        raise AssertionError("ledger_check failed on the bench data set:\n" + "\n".join(breaches[:20]))
    log(f"  ledger_check: every invariant holds ({time.monotonic() - started:.1f} s)")
    gigs = list(Gig.objects.order_by("?")[:sample])
    for gig in gigs:
        bulk = Gig.objects.filter(pk=gig.pk).values_list("search_vector", flat=True).get()
        gig_search_index_refresh(gig=gig)
        service = Gig.objects.filter(pk=gig.pk).values_list("search_vector", flat=True).get()
        if bulk != service:
            raise AssertionError(f"gig {gig.pk}: bulk search vector {bulk!r} differs from the service's {service!r}")
    log(f"  search vectors of {len(gigs)} random gigs equal what the service computes")


def escrow_consistent():
    """Escrow holds each funded, unsettled milestone's amount, and nothing for others (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM milestones_milestone m
            LEFT JOIN payments_ledgeraccount a ON a.kind = 'escrow' AND a.milestone_id = m.id
            WHERE COALESCE(a.balance_cents, 0) <> CASE WHEN m.state IN
                ('funded', 'in_progress', 'delivered', 'revision_requested', 'disputed') THEN m.amount_cents ELSE 0 END
            """
        )
        return cursor.fetchone()[0]
