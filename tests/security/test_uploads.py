"""Every upload endpoint refuses oversized files and the wrong type, and never writes outside MEDIA_ROOT.

Path-traversal names are refused or reduced to a plain basename (Django's
upload parser drops the directories, and ``config.uploads.safe_name`` keeps
only safe characters); either way the file lands under MEDIA_ROOT.
"""

import os
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import User
from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.exceptions import InvalidInput
from marketplace.models import Category, GigImage, MessageAttachment
from milestones.models import DeliveryFile
from orders.models import Dispute, DisputeAttachment
from tests.marketplace.conftest import image_file
from tests.orders.builders import deliver, fund, make_order, ms

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_uploads")]

ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 100
BAD_FILES = {
    "oversized": lambda: SimpleUploadedFile("big.txt", b"a" * 5000, content_type="text/plain"),
    "executable extension": lambda: SimpleUploadedFile("tool.exe", b"MZ" + b"\0" * 50),
    "executable content": lambda: SimpleUploadedFile("notes.txt", ELF, content_type="text/plain"),
    "html as pdf": lambda: SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script></html>"),
    "html as image": lambda: SimpleUploadedFile("photo.png", b"<svg onload=alert(1)></svg>", "image/png"),
}
TRAVERSAL_NAMES = ["../../../../tmp/evil.txt", "..\\..\\..\\evil.txt", "/etc/passwd.txt", "....//evil.txt"]


def noisy_png(name="big.png"):
    """A real PNG over the 4 KB limit of these tests (noise does not compress)."""
    out = BytesIO()
    Image.frombytes("RGB", (80, 80), os.urandom(80 * 80 * 3)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def files_under_media():
    root = Path(settings.MEDIA_ROOT).resolve()
    return {p.resolve() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def assert_inside_media(names):
    root = Path(settings.MEDIA_ROOT).resolve()
    for name in names:
        assert ".." not in name and "\\" not in name and not name.startswith("/"), name
        assert (root / name).resolve().is_relative_to(root), name


@pytest.fixture
def order():
    return make_order(10000)


# --- one poster per upload endpoint: (post the file) -> how many stored -------------------------
def message_attachment(order, upload):
    client_for(order.buyer).post(f"/inbox/{order.conversation_id}/", {"body": "see file", "files": [upload]})
    return list(MessageAttachment.objects.values_list("file", flat=True))


def gig_contact_attachment(order, upload):
    ensure_category_tree()
    gig = marketplace.gig_create(
        seller=order.seller,
        title="A logo",
        description="Logos",
        category=Category.objects.get(slug="logo-design"),
        price_cents=5000,
        delivery_days=3,
    )
    client_for(order.buyer).post(f"/gigs/{gig.slug}/contact/", {"body": "hello", "files": [upload]})
    return list(MessageAttachment.objects.values_list("file", flat=True))


def delivery_file(order, upload):
    milestone = fund(ms(order, 1))
    client_for(order.seller).post(
        f"/milestones/{milestone.pk}/deliver",
        {"message": "done", "links": "", "files": [upload], "expected_state": "in_progress"},
    )
    return list(DeliveryFile.objects.values_list("file", flat=True))


def dispute_evidence(order, upload):
    milestone = deliver(fund(ms(order, 1)))
    client_for(order.buyer).post(
        f"/milestones/{milestone.pk}/dispute/open",
        {"reason": "quality", "description": "bad", "files": [upload], "expected_state": "delivered"},
    )
    return list(DisputeAttachment.objects.values_list("file", flat=True))


def dispute_message(order, upload):
    milestone = deliver(fund(ms(order, 1)))
    from orders import disputes

    dispute = disputes.dispute_open(milestone_id=milestone.pk, actor=order.buyer, reason="quality", description="x")
    client_for(order.seller).post(f"/disputes/{dispute.pk}/answer", {"body": "my side", "files": [upload]})
    return list(DisputeAttachment.objects.values_list("file", flat=True))


ENDPOINTS = {
    "message attachment": message_attachment,
    "contact seller attachment": gig_contact_attachment,
    "delivery file": delivery_file,
    "dispute evidence": dispute_evidence,
    "dispute answer file": dispute_message,
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused(order, endpoint, case):
    before = files_under_media()
    stored = ENDPOINTS[endpoint](order, BAD_FILES[case]())
    assert stored == [], f"{endpoint} stored a file that is {case}"
    assert files_under_media() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_path_traversal_names_stay_inside_media_root(order, endpoint, name, tmp_path):
    stored = ENDPOINTS[endpoint](order, SimpleUploadedFile(name, b"just text\n", content_type="text/plain"))
    assert_inside_media(stored)
    assert not (Path(settings.MEDIA_ROOT).parent / "evil.txt").exists()


def test_a_good_file_goes_through_so_the_refusals_mean_something(order):
    stored = message_attachment(order, SimpleUploadedFile("notes.txt", b"plain notes\n", content_type="text/plain"))
    assert len(stored) == 1
    assert_inside_media(stored)


@pytest.mark.parametrize("case", ["oversized", "html as image", "executable content"])
def test_avatar_refuses_bad_files(order, case):
    upload = BAD_FILES[case]() if case != "oversized" else noisy_png()
    response = client_for(order.buyer).post("/profile/", {"display_name": "Bea", "bio": "", "avatar": upload})
    assert response.status_code == 200  # the form again, with the error
    assert not User.objects.get(pk=order.buyer_id).avatar


@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_avatar_names_are_reduced_to_a_basename(order, name):
    upload = image_file(name=name.replace(".txt", ".png"))
    client_for(order.buyer).post("/profile/", {"display_name": "Bea", "bio": "", "avatar": upload})
    avatar = User.objects.get(pk=order.buyer_id).avatar
    assert avatar, "a valid image under a strange name is accepted, re-encoded"
    assert_inside_media([avatar.name])


@pytest.mark.parametrize("case", ["oversized", "html as image", "executable content", "html as pdf"])
def test_gig_images_refuse_bad_files(order, case):
    ensure_category_tree()
    upload = BAD_FILES[case]() if case != "oversized" else noisy_png()
    with pytest.raises(InvalidInput):
        marketplace.gig_create(
            seller=order.seller,
            title="A logo",
            description="Logos",
            category=Category.objects.get(slug="logo-design"),
            price_cents=5000,
            delivery_days=3,
            images=[upload],
        )
    assert not GigImage.objects.exists()
    assert not Dispute.objects.exists()
