"""Helpers for the marketplace tests: gigs and conversations made through the services."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace import services
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from tests.factories import UserFactory


def image_file(name="photo.png", size=(800, 500), fmt="PNG", colour=(20, 120, 110)):
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.fixture
def categories(db):
    ensure_category_tree()  # transactional (browser) tests flush the migration's rows
    return {c.slug: c for c in Category.objects.select_related("parent")}


@pytest.fixture
def web_apps(categories):
    return categories["web-applications"]


@pytest.fixture
def logo_design(categories):
    return categories["logo-design"]


@pytest.fixture
def seller(db):
    return UserFactory(display_name="Sol Seller")


@pytest.fixture
def buyer(db):
    return UserFactory(display_name="Bea Buyer")


@pytest.fixture
def stranger(db):
    return UserFactory(display_name="Stan Stranger")


@pytest.fixture
def make_gig(web_apps, seller):
    def make(**kwargs):
        data = {
            "seller": seller,
            "title": "I will build a Django web application",
            "description": "A complete Django application with tests, deployed for you.",
            "category": web_apps,
            "tags": ["django", "python"],
            "price_cents": 50000,
            "delivery_days": 7,
        }
        data.update(kwargs)
        return services.gig_create(**data)

    return make


@pytest.fixture
def gig(make_gig):
    return make_gig()


@pytest.fixture
def conversation(buyer, seller, gig):
    return services.conversation_start(buyer=buyer, seller=seller, gig=gig)


def login(client, user):
    client.force_login(user)
    return client
