"""``<id:>`` URL parameters: an id beyond a 64-bit integer is a 404 from the resolver, never a query."""

import pytest
from django.urls import Resolver404, resolve, reverse

from config.converters import MAX_ID
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


def test_the_largest_bigint_is_an_id_and_one_more_is_not():
    assert resolve(f"/orders/{MAX_ID}/").kwargs == {"pk": MAX_ID}
    assert reverse("orders:detail", args=[MAX_ID]) == f"/orders/{MAX_ID}/"
    for path in (f"/orders/{MAX_ID + 1}/", "/orders/99999999999999999999999999/", "/orders/-1/", "/orders/١٢٣/"):
        with pytest.raises(Resolver404):
            resolve(path)


@pytest.mark.parametrize("huge", [str(MAX_ID + 1), "99999999999999999999999999"])
def test_a_huge_id_next_to_a_real_one_is_a_404(client, huge):
    """The inbox file URL filters the attachment by its conversation's id: on SQLite a huge one raised
    OverflowError (HTTP 500) before the id was checked."""
    world = build_world()
    client.force_login(world.users["buyer"])
    assert client.get(f"/inbox/{huge}/files/{world.attachment.pk}/").status_code == 404
    assert client.get(f"/inbox/{world.conversation.pk}/files/{huge}/").status_code == 404
