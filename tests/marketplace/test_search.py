"""Browse and search at /gigs/: relevance, filters, sorting, pagination, empty results.

The same assertions hold on SQLite (a simple word match) and on PostgreSQL
(full-text search over a GIN-indexed, weighted vector, ranked with ts_rank).
"""

from decimal import Decimal

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.urls import reverse

from marketplace import selectors, services
from marketplace.forms import GigSearchForm
from marketplace.models import Gig

pytestmark = pytest.mark.django_db


def titles(response):
    return [gig.title for gig in response.context["gigs"]]


@pytest.fixture
def catalogue(make_gig, categories, seller, stranger, clock):
    """A small catalogue with known prices, delivery times and sellers' ratings."""
    services.seller_stats_update(
        seller=seller, orders_completed=30, orders_on_time=29, rating_avg=Decimal("4.8"), rating_count=20
    )
    services.seller_stats_update(
        seller=stranger, orders_completed=4, orders_on_time=3, rating_avg=Decimal("3.9"), rating_count=4
    )
    gigs = {}
    specs = [
        # key, seller, category, title, description, tags, price, days
        ("api", seller, "apis-integrations", "I will build a REST API for your app",
         "Endpoints, authentication and documentation for your mobile app.", ["rest", "backend"], 60000, 14),
        ("django", seller, "web-applications", "I will develop your Django web application",
         "Models, views, an admin and tests, deployed to your server.", ["django", "python"], 120000, 30),
        ("mention", stranger, "website-development", "I will make your small business website",
         "A fast site built with Django or WordPress, as you prefer.", ["website", "wordpress"], 30000, 7),
        ("logo", stranger, "logo-design", "I will design a memorable logo",
         "Three concepts and the final files in every format.", ["logo", "branding"], 9000, 3),
        ("icons", seller, "illustration", "I will draw a set of app icons",
         "Consistent line icons as SVG, in your colours.", ["icons", "svg"], 15000, 5),
    ]  # fmt: skip
    for key, owner, cat, title, description, tags, price, days in specs:
        clock.advance(minutes=1)
        gigs[key] = make_gig(
            seller=owner,
            category=categories[cat],
            title=title,
            description=description,
            tags=tags,
            price_cents=price,
            delivery_days=days,
        )
    return gigs


def test_browse_lists_active_gigs_best_rated_first(client, catalogue):
    response = client.get(reverse("marketplace:gig_list"))
    assert response.status_code == 200
    shown = titles(response)
    assert len(shown) == 5
    # seller (4.8) before stranger (3.9), newest first within a seller
    assert shown[:3] == [catalogue["icons"].title, catalogue["django"].title, catalogue["api"].title]


def test_a_new_rating_reorders_browse_at_once(client, catalogue, seller, stranger):
    """The browse order reads the rating copied onto each gig; seller_stats_update keeps every copy in step."""
    services.seller_stats_update(
        seller=stranger, orders_completed=40, orders_on_time=40, rating_avg=Decimal("4.95"), rating_count=30
    )
    assert set(Gig.objects.filter(seller=stranger).values_list("seller_rating", "seller_rating_count")) == {
        (Decimal("4.95"), 30)
    }
    shown = titles(client.get(reverse("marketplace:gig_list")))
    assert shown[:2] == [catalogue["logo"].title, catalogue["mention"].title]
    services.seller_stats_update(
        seller=stranger, orders_completed=40, orders_on_time=40, rating_avg=None, rating_count=0
    )
    assert set(Gig.objects.filter(seller=stranger).values_list("seller_rating", "seller_rating_count")) == {
        (Decimal("0"), 0)
    }
    assert titles(client.get(reverse("marketplace:gig_list")))[-2:] == [
        catalogue["logo"].title,
        catalogue["mention"].title,
    ]


def test_a_new_gig_starts_with_its_sellers_rating(catalogue, make_gig, seller):
    gig = make_gig(title="I will write your API documentation")
    assert (gig.seller_rating, gig.seller_rating_count) == (Decimal("4.80"), 20)
    assert Gig.objects.filter(pk=gig.pk, seller_rating=Decimal("4.80"), seller_rating_count=20).exists()


def test_gig_ratings_sync_copies_every_sellers_rating(catalogue, seller, stranger):
    """After a bulk load (make bench's data set) one statement puts every seller's rating on their gigs."""
    Gig.objects.update(seller_rating=0, seller_rating_count=0)
    assert services.gig_ratings_sync() == 5
    assert dict(Gig.objects.values_list("seller_id", "seller_rating").distinct()) == {
        seller.pk: Decimal("4.80"),
        stranger.pk: Decimal("3.90"),
    }


def test_search_ranks_title_matches_above_description_mentions(client, catalogue):
    shown = titles(client.get(reverse("marketplace:gig_list"), {"q": "django"}))
    assert shown == [catalogue["django"].title, catalogue["mention"].title]


def test_search_matches_tags_and_category_names(client, catalogue):
    assert titles(client.get(reverse("marketplace:gig_list"), {"q": "branding"})) == [catalogue["logo"].title]
    assert catalogue["icons"].title in titles(client.get(reverse("marketplace:gig_list"), {"q": "illustration"}))


def test_every_word_must_match(client, catalogue):
    assert titles(client.get(reverse("marketplace:gig_list"), {"q": "django admin"})) == [catalogue["django"].title]
    assert titles(client.get(reverse("marketplace:gig_list"), {"q": "django logo"})) == []


def test_category_filter_includes_subcategories(client, catalogue):
    shown = titles(client.get(reverse("marketplace:gig_list"), {"category": "programming-tech"}))
    assert set(shown) == {catalogue[k].title for k in ("api", "django", "mention")}
    shown = titles(client.get(reverse("marketplace:gig_list"), {"category": "logo-design"}))
    assert shown == [catalogue["logo"].title]


def test_price_delivery_and_rating_filters(client, catalogue):
    url = reverse("marketplace:gig_list")
    assert set(titles(client.get(url, {"min_price": "100", "max_price": "600"}))) == {
        catalogue[k].title for k in ("api", "mention", "icons")
    }
    assert set(titles(client.get(url, {"delivery": "7"}))) == {catalogue[k].title for k in ("mention", "logo", "icons")}
    assert set(titles(client.get(url, {"rating": "4.5"}))) == {catalogue[k].title for k in ("api", "django", "icons")}
    assert titles(client.get(url, {"q": "app", "rating": "4.5", "max_price": "200"})) == [catalogue["icons"].title]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_low", ["logo", "icons", "mention", "api", "django"]),
        ("price_high", ["django", "api", "mention", "icons", "logo"]),
        ("newest", ["icons", "logo", "mention", "django", "api"]),
        ("rating", ["icons", "django", "api", "logo", "mention"]),
    ],
)
def test_sorting(client, catalogue, sort, expected):
    assert titles(client.get(reverse("marketplace:gig_list"), {"sort": sort})) == [catalogue[k].title for k in expected]


def test_invalid_filters_are_reported_and_left_out(client, catalogue):
    response = client.get(reverse("marketplace:gig_list"), {"min_price": "lots", "sort": "random"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "like 1250 or 1,250.50" in content and "Select a valid choice" in content
    assert "Some filters could not be used and were left out" in content
    assert len(titles(response)) == 5
    response = client.get(reverse("marketplace:gig_list"), {"min_price": "500", "max_price": "100"})
    assert "The maximum price is below the minimum price." in response.content.decode()
    assert set(titles(response)) == {catalogue["django"].title, catalogue["api"].title}  # the minimum still applies


def test_no_results_say_so_and_suggest_removing_filters(client, catalogue):
    response = client.get(reverse("marketplace:gig_list"), {"q": "django", "max_price": "10"})
    content = response.content.decode()
    assert titles(response) == []
    assert "No services found" in content
    assert "Try removing some filters" in content and "clear all filters" in content
    response = client.get(reverse("marketplace:gig_list"), {"q": "underwater basket weaving"})
    assert (
        "No services found" in response.content.decode() and "search for something broader" in response.content.decode()
    )


def test_paused_and_deleted_gigs_are_not_listed(client, catalogue, seller, stranger):
    services.gig_pause(gig=catalogue["django"], actor=seller)
    services.gig_delete(gig=catalogue["logo"], actor=stranger)
    shown = titles(client.get(reverse("marketplace:gig_list")))
    assert catalogue["django"].title not in shown and catalogue["logo"].title not in shown
    assert titles(client.get(reverse("marketplace:gig_list"), {"q": "django"})) == [catalogue["mention"].title]


def test_editing_a_gig_updates_what_search_finds(client, catalogue, seller, categories):
    gig = catalogue["icons"]
    services.gig_update(
        gig=gig,
        actor=seller,
        title="I will draw a set of kawaii stickers",
        description="Cute stickers for your chat app, delivered as PNG.",
        category=gig.category,
        tags=["stickers"],
        price_cents=gig.price_cents,
        delivery_days=gig.delivery_days,
    )
    assert titles(client.get(reverse("marketplace:gig_list"), {"q": "kawaii"})) == [
        "I will draw a set of kawaii stickers"
    ]
    assert titles(client.get(reverse("marketplace:gig_list"), {"q": "svg"})) == []


def test_pagination_by_twenty_keeps_the_query(client, make_gig, clock):
    for n in range(45):
        clock.advance(seconds=1)
        make_gig(title=f"I will write Python script number {n:02d}", tags=["python"])
    url = reverse("marketplace:gig_list")
    first = client.get(url, {"q": "python", "sort": "newest"})
    assert len(first.context["gigs"]) == 20 and first.context["page"].paginator.count == 45
    assert titles(first)[0] == "I will write Python script number 44"
    assert "?q=python&amp;sort=newest&amp;page=2" in first.content.decode()
    third = client.get(url, {"q": "python", "sort": "newest", "page": "3"})
    assert titles(third) == [f"I will write Python script number {n:02d}" for n in range(4, -1, -1)]
    assert client.get(url, {"q": "python", "page": "99"}).context["page"].number == 3
    assert client.get(url, {"q": "python", "page": "x"}).context["page"].number == 1
    pages = [titles(client.get(url, {"sort": "newest", "page": p})) for p in (1, 2, 3)]
    assert len({t for page in pages for t in page}) == 45  # no gig twice, none missing


@pytest.mark.parametrize("page", ["9223372036854775807", "9223372036854775808", "99999999999999999999999999"])
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_a_page_number_past_any_result_shows_the_last_page(client, catalogue, page, sort):
    """``/gigs/?q=test&page=9223372036854775807`` was an HTTP 500: the ranked page's offset overflowed."""
    response = client.get(reverse("marketplace:gig_list"), {"q": "logo", "sort": sort, "page": page})
    assert response.status_code == 200
    assert response.context["page"].number == response.context["page"].paginator.num_pages
    assert titles(response)


def test_a_ranked_search_reads_cards_and_total_in_one_pass_index_orders_count_apart(client, catalogue):
    """Ranking words reads every match: page and count in one query. Any other order is an index's order,
    which the page leaves after 20 rows, so the count is its own query (make bench)."""
    from django.test.utils import CaptureQueriesContext

    url = reverse("marketplace:gig_list")
    cases = [
        ({"q": "app"}, True),
        ({"q": "app", "sort": "rating"}, False),
        ({"category": "programming-tech"}, False),
        ({"sort": "newest"}, False),
        ({}, False),
    ]
    for params, one_pass in cases:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        gig_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "marketplace_gig"' in q["sql"]]
        counts = [sql for sql in gig_reads if "COUNT(" in sql and "OVER" not in sql]
        assert (len(gig_reads), len(counts)) == ((1, 0) if one_pass else (2, 1)), (params, gig_reads)
        assert response.context["page"].paginator.count == len(titles(response)) > 0


def test_cards_read_only_what_they_show(client, catalogue, django_assert_max_num_queries):
    """No description, search vector or password hash in the rows a search sorts and counts, and the page
    still renders without going back for any of them."""
    with django_assert_max_num_queries(12):
        response = client.get(reverse("marketplace:gig_list"), {"q": "app"})
    gig = response.context["gigs"][0]
    assert {"description", "search_vector"} <= gig.get_deferred_fields()
    assert {"password", "last_login"} <= gig.seller.get_deferred_fields()
    assert gig.title in response.content.decode()


def test_search_form_reads_cents_and_filters():
    form = GigSearchForm({"q": " logo ", "min_price": "10.50", "delivery": "3", "rating": "4.5"}, tree=[])
    assert form.is_valid()
    kwargs = form.search_kwargs()
    assert kwargs["q"] == "logo" and kwargs["min_price_cents"] == 1050 and kwargs["max_delivery_days"] == 3
    assert kwargs["min_rating"] == Decimal("4.5")


# --- PostgreSQL only --------------------------------------------------------------------


def test_postgres_search_uses_the_gin_index(require_postgres, catalogue):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'marketplace_gig_search_gin'")
        (definition,) = cursor.fetchone()
        assert "USING gin (search_vector)" in definition
        # With five rows the planner rightly prefers a scan; forbid it to see the index can serve "@@".
        cursor.execute("SET LOCAL enable_seqscan = off")
        query = SearchQuery("django", search_type="websearch", config=selectors.SEARCH_CONFIG)
        sql, params = Gig.objects.filter(search_vector=query).order_by().query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "marketplace_gig_search_gin" in plan


def test_postgres_search_understands_word_forms_and_phrases(require_postgres, client, catalogue):
    url = reverse("marketplace:gig_list")
    assert titles(client.get(url, {"q": "designs"}))[0] == catalogue["logo"].title  # stemming; title ranks first
    assert titles(client.get(url, {"q": '"web application"'})) == [catalogue["django"].title]
    assert titles(client.get(url, {"q": "django -wordpress"})) == [catalogue["django"].title]
