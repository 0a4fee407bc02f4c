"""``config.fragments.render_each``: a cached piece is reused only for the same output (what it shows is its key)."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from config.fragments import render_each
from marketplace import services as marketplace
from tests.orders.builders import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


class Item:
    def __init__(self, pk, title):
        self.pk, self.title = pk, title


def _cards(items):
    # the order page's side message, given what the test needs
    now = timezone.now()
    return render_each(
        "orders/_side_message.html",
        items,
        shows=lambda i: (i.pk, i.title),
        context=lambda i: {
            "message": SimpleNamespace(sender=SimpleNamespace(public_name=i.title), created_at=now, body="Hi"),
            "mine": False,
        },
    )


def test_a_piece_is_rendered_once_then_read_from_the_cache(monkeypatch):
    template = get_template("orders/_side_message.html")
    renders = []
    real = type(template).render
    monkeypatch.setattr(type(template), "render", lambda self, *a, **k: renders.append(1) or real(self, *a, **k))
    first = _cards([Item(1, "Ann"), Item(2, "Bob")])
    assert len(renders) == 2
    assert _cards([Item(1, "Ann"), Item(2, "Bob")]) == first
    assert len(renders) == 2  # both from the cache
    changed = _cards([Item(1, "Ann"), Item(2, "Bobby")])
    assert len(renders) == 3 and "Bobby" in changed and "Ann" in changed


def test_what_a_piece_shows_changes_its_key_so_a_renamed_sender_shows_the_new_name(client):
    order = make_order(10000)
    marketplace.message_send(conversation=order.conversation, sender=order.seller, body="Hello from the seller")
    client.force_login(order.buyer)
    url = reverse("orders:detail", args=[order.pk])
    assert order.seller.public_name in client.get(url).content.decode()
    order.seller.display_name = "Renamed Seller"
    order.seller.save(update_fields=["display_name"])
    body = client.get(url).content.decode()
    assert "Renamed Seller" in body and "Hello from the seller" in body


def test_the_same_message_is_mine_for_its_sender_and_not_for_the_other(client):
    order = make_order(10000)
    marketplace.message_send(conversation=order.conversation, sender=order.seller, body="Marked once")
    url = reverse("orders:detail", args=[order.pk])

    def class_of_the_message(body):
        return body[: body.index("Marked once")].rsplit('<div class="order-message', 1)[1].split('"', 1)[0]

    client.force_login(order.seller)
    assert class_of_the_message(client.get(url).content.decode()) == " mine"
    client.force_login(order.buyer)
    assert class_of_the_message(client.get(url).content.decode()) == ""


def test_a_deploy_that_changes_the_code_starts_new_pieces(monkeypatch):
    """The key holds a digest of the code that draws a piece (templates, tags, formats): after a deploy the old
    pieces are never served, on any node."""
    first = _cards([Item(1, "Ann")])
    monkeypatch.setattr("config.fragments._code", ["another-release"])
    template = get_template("orders/_side_message.html")
    renders = []
    real = type(template).render
    monkeypatch.setattr(type(template), "render", lambda self, *a, **k: renders.append(1) or real(self, *a, **k))
    assert _cards([Item(1, "Ann")]) == first
    assert len(renders) == 1  # drawn again under the new release's key


def test_with_debug_nothing_is_cached(settings, monkeypatch):
    """Under runserver templates change in a running process: every piece is drawn, the cache never asked."""
    settings.DEBUG = True

    def no_cache(*args, **kwargs):
        raise AssertionError("the cache was used with DEBUG on")

    monkeypatch.setattr(cache, "get_many", no_cache)
    monkeypatch.setattr(cache, "set_many", no_cache)
    assert "Ann" in _cards([Item(1, "Ann"), Item(2, "Bob")])


def test_an_event_about_a_milestone_the_page_did_not_load_still_names_it():
    """The timeline is read after the milestones: one proposed in between is loaded for its event (no 500)."""
    from milestones.models import TimelineEvent
    from orders.selectors import side_panel

    order = make_order(10000, 20000)
    events, _messages = side_panel(order, [])  # as if both milestones had come after the page's first read
    named = [e for e in events if e.milestone_id is not None]
    assert named and all(e.milestone is not None and e.milestone.title for e in named)
    assert TimelineEvent.objects.filter(order=order).count() == len(events)
