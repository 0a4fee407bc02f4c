"""Reputation is counted from rows: the events (review, completed order, published review, reply) and
the hourly recount give the same figures, the admin cannot type them, and the pages show those rows."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import StaffAction
from marketplace import services as marketplace
from marketplace.models import SellerLevel, SellerStats
from marketplace.selectors import REVIEWS_PER_PAGE
from orders import timers
from orders.stats import seller_stats_recount
from tests.factories import UserFactory
from tests.orders.reputation_builders import counted_figures, past_order, published_after_window, stored_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def history(clock, commit):
    """Build a seller's past through the services."""

    def build(seller, ratings, *, late=0, gigs=(None,), buyers=None):
        buyers = buyers or [UserFactory() for _ in range(3)]
        for index, rating in enumerate(ratings):
            past_order(
                seller=seller,
                buyer=buyers[index % len(buyers)],
                gig=gigs[index % len(gigs)],
                rating=rating,
                late=index < late,
                clock=clock,
                commit=commit,
            )
        return seller

    return build


def test_completing_an_order_keeps_a_level_two_sellers_level_and_reviews(clock, commit, history):
    seller = history(UserFactory(), [5, 5, 4, 5] * 6 + [5], late=1)  # 25 orders, 24 on time, 4.76
    stats = SellerStats.objects.get(seller=seller)
    assert stats.level == SellerLevel.LEVEL_TWO and stats.rating_count == 25
    past_order(seller=seller, buyer=UserFactory(), rating=None, clock=clock, commit=commit)  # ends, not reviewed
    stats.refresh_from_db()
    assert (stats.level, stats.rating_count, stats.orders_completed) == (SellerLevel.LEVEL_TWO, 25, 26)
    assert timers.sweep_seller_stats() == 0  # the hourly recount agrees


def test_a_review_published_by_the_window_counts_once_the_publication_sweep_runs(clock, commit):
    seller, buyer = UserFactory(), UserFactory()
    past_order(seller=seller, buyer=buyer, rating=4, seller_reviews=False, clock=clock, commit=commit)
    assert stored_figures(seller)["rating_count"] == 0  # double-blind: not public yet
    published_after_window(clock)
    timers.sweep_review_publication()
    assert stored_figures(seller) == counted_figures(seller)
    assert stored_figures(seller)["rating_count"] == 1


def test_the_gig_page_counts_exactly_the_reviews_its_section_lists(client, clock, history, make_gig):
    """The byline's "(N reviews)" is the number of reviews the Reviews section lists, page by page,
    even when the seller's orders were for several gigs."""
    first, second = make_gig(), make_gig(title="I will review your Django code")
    seller = history(first.seller, [5, 4] * 6 + [5], gigs=(first, second, None))
    shown = client.get(first.get_absolute_url()).content.decode()
    count = int(re.search(r"\((\d+) reviews\)", shown).group(1))
    listed, page = 0, 1
    while True:
        html = client.get(first.get_absolute_url(), {"reviews": page}).content.decode()
        listed += html.count('<li class="review"')
        if 'rel="next"' not in html:
            break
        page += 1
    assert count == listed == 13 == SellerStats.objects.get(seller=seller).rating_count
    assert page == -(-13 // REVIEWS_PER_PAGE)
    profile = client.get(reverse("marketplace:seller_profile", args=[seller.pk])).content.decode()
    assert f"({count} reviews)" in profile and "4.5" in profile


def test_the_admin_shows_stats_read_only_and_recounts_with_an_audit_row(client, clock, history):
    seller = history(UserFactory(), [5, 5])
    SellerStats.objects.filter(seller=seller).update(rating_count=99, level=SellerLevel.TOP_RATED)  # drifted
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = client.get(reverse("admin:marketplace_sellerstats_change", args=[seller.pk])).content.decode()
    assert 'name="rating_count"' not in change and 'name="level"' not in change  # nothing to type into
    assert client.get(reverse("admin:marketplace_sellerstats_add")).status_code == 403
    response = client.post(
        reverse("admin:marketplace_sellerstats_changelist"),
        {"action": "recount", "_selected_action": [seller.pk]},
        follow=True,
    )
    assert "1 had figures that changed" in response.content.decode()
    stats = SellerStats.objects.get(seller=seller)
    assert (stats.rating_count, stats.level) == (2, SellerLevel.NEW)
    row = StaffAction.objects.get(action="seller_stats_recount")
    assert row.staff == admin and row.data == {"sellers": [seller.pk], "changed": [seller.pk]}


def test_only_support_may_recount():
    with pytest.raises(marketplace.NotAllowed):
        marketplace.seller_stats_staff_recount(actor=UserFactory(is_staff=True), seller_ids=[1])


# --- recount == the events, and recounting twice changes nothing (hypothesis, small) -------------------

EVENTS = st.lists(
    st.one_of(
        st.tuples(
            st.just("order"),
            st.booleans(),  # late
            st.one_of(st.none(), st.integers(1, 5)),  # the buyer's rating, or no review
            st.booleans(),  # the seller reviews back (else the review waits for the window)
        ),
        st.tuples(st.just("message"), st.booleans(), st.integers(0, 600), st.just(None)),  # from buyer, minutes
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(events=EVENTS)
def test_recount_matches_the_events_and_is_idempotent(clock, commit, events):
    seller, buyer = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    for kind, a, b, c in events:
        if kind == "order":
            past_order(seller=seller, buyer=buyer, late=a, rating=b, seller_reviews=c, clock=clock, commit=commit)
            published_after_window(clock)
            timers.sweep_review_publication()
        else:
            clock.advance(minutes=b)
            with commit():
                marketplace.message_send(conversation=conversation, sender=buyer if a else seller, body="Hello")
        if SellerStats.objects.filter(seller=seller).exists():
            assert stored_figures(seller) == counted_figures(seller)  # the events kept what a count gives
    before = SellerStats.objects.filter(seller=seller).first()
    assert seller_stats_recount(seller_ids=[seller.pk]) == 0
    assert seller_stats_recount(seller_ids=[seller.pk]) == 0
    after = SellerStats.objects.filter(seller=seller).first()
    assert (before and before.updated_at) == (after and after.updated_at)


def test_the_hourly_sweep_runs_once_an_hour_and_repairs_drift(clock, history, make_gig):
    gig = make_gig()
    seller = history(gig.seller, [4, 5], gigs=(gig,))
    assert timers.sweep_seller_stats() == 0
    SellerStats.objects.filter(seller=seller).update(orders_completed=50, level=SellerLevel.LEVEL_TWO)
    type(gig).objects.filter(pk=gig.pk).update(seller_rating=1, seller_rating_count=1)
    assert timers.sweep_seller_stats() == 0  # already ran this hour
    clock.advance(hours=1)
    assert timers.sweep_seller_stats() == 1
    stats = SellerStats.objects.get(seller=seller)
    assert (stats.orders_completed, stats.level) == (2, SellerLevel.NEW)
    gig.refresh_from_db()
    assert (gig.seller_rating, gig.seller_rating_count) == (stats.rating_avg, 2)


def test_response_time_counts_questions_and_answers_not_notices(clock, commit):
    seller, buyer = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    with commit():
        marketplace.message_send(conversation=conversation, sender=buyer, body="Are you free?")
    clock.advance(minutes=30)
    with commit():
        marketplace.message_send(conversation=conversation, sender=seller, body="Yes!")
    clock.advance(days=3)
    with commit():  # a notice from the buyer's side starts no wait
        marketplace.message_send(conversation=conversation, sender=buyer, body="Accepted.", kind="system")
    clock.advance(days=3)
    with commit():
        marketplace.message_send(conversation=conversation, sender=seller, body="Thanks")
    stats = SellerStats.objects.get(seller=seller)
    assert (stats.responses_counted, stats.avg_response_seconds, stats.response_time_label) == (1, 1800, "30 min")
    assert stored_figures(seller)["responses"] == counted_figures(seller)["responses"] == (1800, 1)
    assert timedelta(seconds=stats.avg_response_seconds) == timedelta(minutes=30)
