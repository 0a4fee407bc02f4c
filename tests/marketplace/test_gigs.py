"""Gigs: creating, editing, pausing and deleting; only the owner may change a gig."""

import pytest
from django.urls import reverse

from marketplace import services
from marketplace.exceptions import InvalidInput, NotAllowed
from marketplace.models import Gig, GigImage, GigPackage, GigStatus

from .conftest import image_file, login

pytestmark = pytest.mark.django_db


def gig_post(category_obj, **overrides):
    data = {
        "title": "I will design a modern logo for your start-up",
        "category": str(category_obj.pk),
        "description": "Three concepts, unlimited tweaks on the chosen one, and every file format you need.",
        "tags": "logo, Branding, #minimalist, logo",
        "pricing": "simple",
        "price": "120",
        "delivery_days": "5",
        "offers_milestones": "on",
    }
    data.update(overrides)
    return data


def package_post(prices=("100", "200", "400")):
    data = {}
    for tier, price, days in zip(("basic", "standard", "premium"), prices, (3, 5, 10), strict=True):
        data.update(
            {
                f"{tier}-name": f"{tier.title()} plan",
                f"{tier}-description": f"The {tier} package.",
                f"{tier}-price": price,
                f"{tier}-delivery_days": str(days),
                f"{tier}-revisions": "2",
                f"{tier}-features": "Source files\nCommercial use\n",
            }
        )
    return data


def test_seller_publishes_a_gig_with_a_starting_price_tags_and_images(client, seller, logo_design):
    login(client, seller)
    data = gig_post(logo_design, images=[image_file("a.png"), image_file("b.jpg", fmt="JPEG", size=(2400, 1800))])
    response = client.post(reverse("marketplace:gig_create"), data)
    gig = Gig.objects.get()
    assert response.status_code == 302
    assert response["Location"] == gig.get_absolute_url() == f"/gigs/{gig.slug}/"
    assert gig.seller == seller
    assert gig.price_cents == 12000 and gig.delivery_days == 5 and gig.offers_milestones
    assert gig.status == GigStatus.ACTIVE
    assert sorted(t.name for t in gig.tags.all()) == ["branding", "logo", "minimalist"]
    images = list(gig.images.all())
    assert [i.position for i in images] == [0, 1]
    # re-encoded: bounded large image, 640×400 thumbnail
    assert images[1].width == 1600 and images[1].height == 1200
    assert images[0].image.name.endswith(".jpg") and images[0].thumbnail.name.endswith(".jpg")
    page = client.get(gig.get_absolute_url())
    assert page.status_code == 200
    assert "I will design a modern logo" in page.content.decode()
    assert "$120.00" in page.content.decode()
    thumb = client.get(reverse("marketplace:gig_image", args=[images[0].pk, "thumb"]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def test_three_packages_set_the_starting_price_and_fastest_delivery(client, seller, logo_design):
    login(client, seller)
    data = gig_post(logo_design, pricing="packages", price="", delivery_days="", **package_post())
    response = client.post(reverse("marketplace:gig_create"), data)
    assert response.status_code == 302
    gig = Gig.objects.get()
    assert gig.price_cents == 10000 and gig.delivery_days == 3
    packages = list(gig.packages.order_by("price_cents"))
    assert [p.tier for p in packages] == ["basic", "standard", "premium"]
    assert packages[2].price_cents == 40000 and packages[0].features == ["Source files", "Commercial use"]
    page = client.get(gig.get_absolute_url()).content.decode()
    assert "Compare packages" in page and "$400.00" in page and "Premium" in page


def test_packages_that_get_cheaper_are_refused_and_nothing_is_saved(client, seller, logo_design):
    login(client, seller)
    data = gig_post(logo_design, pricing="packages", **package_post(prices=("300", "200", "400")))
    response = client.post(reverse("marketplace:gig_create"), data)
    assert response.status_code == 400
    assert "Prices must not go down" in response.content.decode()
    assert not Gig.objects.exists() and not GigPackage.objects.exists()


def test_missing_package_fields_are_reported(client, seller, logo_design):
    login(client, seller)
    data = gig_post(logo_design, pricing="packages", **package_post())
    data["premium-name"] = ""
    response = client.post(reverse("marketplace:gig_create"), data)
    assert response.status_code == 400
    assert "This field is required for packages." in response.content.decode()
    assert not Gig.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Logo", "Ensure this value has at least 10 characters"),
        ("category", "", "This field is required."),
        ("price", "2", "The lowest price is $5."),
        ("price", "", "This field is required for a starting price."),
        ("tags", "a, b, c, d, e, f", "Use at most 5 tags"),
    ],
)
def test_bad_gig_input_gets_a_message_and_changes_nothing(client, seller, logo_design, field, value, message):
    login(client, seller)
    response = client.post(reverse("marketplace:gig_create"), gig_post(logo_design, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Gig.objects.exists()


def test_a_top_level_category_is_not_enough(client, seller, categories):
    login(client, seller)
    response = client.post(reverse("marketplace:gig_create"), gig_post(categories["graphics-design"]))
    assert response.status_code == 400
    assert "Choose a subcategory" in response.content.decode() or "Select a valid choice" in response.content.decode()
    assert not Gig.objects.exists()


def test_an_empty_post_shows_the_form_again_and_saves_nothing(client, seller, make_gig, categories):
    gig = make_gig()
    login(client, seller)
    for url in (reverse("marketplace:gig_create"), reverse("marketplace:gig_edit", args=[gig.pk])):
        response = client.post(url, {})
        assert response.status_code in (200, 400)
    assert Gig.objects.count() == 1


def test_creating_a_gig_needs_a_login(client):
    response = client.get(reverse("marketplace:gig_create"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_owner_edits_the_gig_removes_an_image_and_adds_one(client, seller, make_gig, logo_design):
    gig = make_gig(images=[image_file("one.png"), image_file("two.png")])
    first, second = gig.images.all()
    login(client, seller)
    assert client.get(reverse("marketplace:gig_edit", args=[gig.pk])).status_code == 200
    data = gig_post(logo_design, title="I will build a better Django application", remove_images=[str(first.pk)]) | {
        "images": [image_file("three.png")]
    }
    response = client.post(reverse("marketplace:gig_edit", args=[gig.pk]), data)
    assert response.status_code == 302
    gig.refresh_from_db()
    assert gig.title == "I will build a better Django application"
    assert gig.category == logo_design
    assert list(gig.images.values_list("pk", flat=True))[0] == second.pk
    assert gig.images.count() == 2
    assert gig.slug.startswith("i-will-build-a-django")  # the address does not change with the title


def test_only_the_owner_can_edit_pause_or_delete_a_gig(client, stranger, gig, logo_design):
    login(client, stranger)
    edit = reverse("marketplace:gig_edit", args=[gig.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, gig_post(logo_design, title="Hijacked title for this gig")).status_code == 404
    for name in ("gig_pause", "gig_delete"):
        assert client.post(reverse(f"marketplace:{name}", args=[gig.pk])).status_code == 404
    gig.refresh_from_db()
    assert gig.title == "I will build a Django web application" and gig.status == GigStatus.ACTIVE


def test_services_refuse_someone_else_changing_a_gig(stranger, gig, logo_design):
    with pytest.raises(NotAllowed, match="Only the gig's seller"):
        services.gig_update(
            gig=gig,
            actor=stranger,
            title="New title here",
            description="x" * 40,
            category=logo_design,
            price_cents=100,
            delivery_days=1,
        )
    with pytest.raises(NotAllowed):
        services.gig_pause(gig=gig, actor=stranger)


def test_pausing_hides_the_gig_from_buyers_but_not_from_its_seller(client, seller, buyer, gig):
    login(client, seller)
    response = client.post(reverse("marketplace:gig_pause", args=[gig.pk]), follow=True)
    assert "is paused" in response.content.decode()
    assert client.get(gig.get_absolute_url()).status_code == 200  # the seller still sees it
    login(client, buyer)
    assert client.get(gig.get_absolute_url()).status_code == 404
    assert gig.title not in client.get(reverse("marketplace:gig_list")).content.decode()
    login(client, seller)
    client.post(reverse("marketplace:gig_activate", args=[gig.pk]))
    login(client, buyer)
    assert client.get(gig.get_absolute_url()).status_code == 200


def test_deleting_is_soft_the_page_goes_and_conversations_keep_the_gig(client, seller, gig, conversation):
    login(client, seller)
    response = client.post(reverse("marketplace:gig_delete", args=[gig.pk]), follow=True)
    assert "was deleted" in response.content.decode()
    gig.refresh_from_db()
    assert gig.status == GigStatus.DELETED
    assert client.get(gig.get_absolute_url()).status_code == 404
    assert client.get(reverse("marketplace:gig_edit", args=[gig.pk])).status_code == 404
    assert gig.title not in client.get(reverse("marketplace:my_gigs")).content.decode()
    conversation.refresh_from_db()
    assert conversation.gig_id == gig.pk


def test_gig_address_by_id_redirects_to_the_slug(client, gig):
    url = reverse("marketplace:gig_detail", args=[gig.pk])
    assert url == f"/gigs/{gig.pk}/"
    response = client.get(url)
    assert response.status_code == 301 and response["Location"] == gig.get_absolute_url()


def test_same_titles_get_distinct_slugs(make_gig):
    first, second = make_gig(), make_gig()
    assert first.slug != second.slug and second.slug.startswith(first.slug)
    assert not make_gig(title="2024").slug.isdigit()


def test_at_most_five_images(make_gig, seller):
    with pytest.raises(InvalidInput, match="at most 5 images"):
        make_gig(images=[image_file(f"{i}.png") for i in range(6)])
    assert not Gig.objects.exists() and not GigImage.objects.exists()


def test_my_gigs_lists_only_my_active_and_paused_gigs(client, seller, stranger, make_gig):
    mine = make_gig(title="I will write tests for your project")
    paused = make_gig(title="I will pause this gig for a while")
    services.gig_pause(gig=paused, actor=seller)
    make_gig(seller=stranger, title="I will do something else entirely")
    login(client, seller)
    page = client.get(reverse("marketplace:my_gigs")).content.decode()
    assert mine.title in page and paused.title in page and "Paused" in page
    assert "something else entirely" not in page
