"""``MEDIA_STORAGE=s3``: every kind of upload goes to an S3 bucket, and is served from there only to the people it
belongs to. Against a real S3 API (moto's server on loopback, ``s3_server``) with the real boto3 calls.

The cases are generated from the app's own list: every ``FileField`` of every model must have a case here, so an
upload field added later fails this module until it is covered.
"""

import io
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlparse

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from PIL import Image

from config.uploads import check_attachments
from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from milestones import services as milestone_services
from orders import disputes
from orders.models import DisputeReason
from tests.factories import UserFactory
from tests.orders.builders import fund, make_order, ms

pytestmark = pytest.mark.django_db

APPS = ("accounts", "marketplace", "milestones", "orders", "payments")


def png(name="photo.png", size=(640, 400)):
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 110)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def text_file(name="notes.txt", body=b"the seller's notes\n", claimed="text/plain"):
    return SimpleUploadedFile(name, body, content_type=claimed)


@dataclass
class Stored:
    """One upload made through the app: the stored field file, who may fetch it, where, and the bytes sent."""

    field_file: object
    url: str
    owners: tuple  # (one who may fetch it, one who may not; None: a public image, anyone may)
    body: bytes | None  # the bytes uploaded (None: an image the app re-encodes)
    download: bool  # served as a download (a presigned redirect) or streamed inline (an image)


def _gig(seller, images=()):
    ensure_category_tree()
    return marketplace.gig_create(
        seller=seller,
        title="I will draw your logo",
        description="Three concepts and the source files.",
        category=Category.objects.get(slug="logo-design"),
        price_cents=5000,
        delivery_days=3,
        images=images,
    )


def avatar(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("profile_edit"), {"display_name": "Ann", "bio": "", "time_zone": "UTC", "avatar": png("me.png")}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    return Stored(user.avatar, reverse("avatar", args=[user.pk]), (user, None), None, download=False)


def gig_image(client, variant="full"):
    seller = UserFactory()
    gig = _gig(seller, images=[png()])
    image = gig.images.get()
    stored = image.thumbnail if variant == "thumb" else image.image
    url = reverse("marketplace:gig_image", args=[image.pk, variant])
    return Stored(stored, url, (UserFactory(), None), None, download=False)  # a public image: anyone


def message_attachment(client):
    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    message = marketplace.message_send(conversation=conversation, sender=buyer, body="brief", files=[text_file()])
    item = message.attachments.get()
    url = reverse("marketplace:attachment", args=[conversation.pk, item.pk])
    return Stored(item.file, url, (seller, UserFactory()), b"the seller's notes\n", download=True)


def delivery_file(client):
    order = make_order(10000)
    first = fund(ms(order, 1))
    delivery = milestone_services.milestone_deliver(
        milestone_id=first.pk, actor=order.seller, message="done", files=check_attachments([text_file()])
    )
    item = delivery.files.get()
    return Stored(
        item.file,
        reverse("orders:delivery_file", args=[item.pk]),
        (order.buyer, UserFactory()),
        b"the seller's notes\n",
        True,
    )


def dispute_attachment(client):
    order = make_order(10000)
    first = fund(ms(order, 1))
    milestone_services.milestone_deliver(milestone_id=first.pk, actor=order.seller, message="done")
    dispute = disputes.dispute_open(
        milestone_id=first.pk,
        actor=order.buyer,
        reason=DisputeReason.NOT_AS_DESCRIBED,
        description="Not what we agreed.",
        files=check_attachments([text_file("evidence.txt", b"what was agreed\n")]),
    )
    item = dispute.messages.get().attachments.get()
    url = reverse("orders:dispute_file", args=[item.pk])
    return Stored(item.file, url, (order.seller, UserFactory()), b"what was agreed\n", True)


CASES = {
    "accounts.User.avatar": avatar,
    "marketplace.GigImage.image": gig_image,
    "marketplace.GigImage.thumbnail": lambda client: gig_image(client, "thumb"),
    "marketplace.MessageAttachment.file": message_attachment,
    "milestones.DeliveryFile.file": delivery_file,
    "orders.DisputeAttachment.file": dispute_attachment,
}


def file_fields():
    return sorted(
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField) and not model._meta.abstract
    )


def test_every_file_field_of_the_app_has_an_object_storage_case():
    assert file_fields() == sorted(CASES)


def _fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the loopback S3 server
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_upload_lands_in_the_bucket_and_only_its_people_get_it(name, client, s3_media, s3_server):
    stored = CASES[name](client)
    key = stored.field_file.name
    head = s3_server.client().head_object(Bucket=s3_media, Key=key)  # in the bucket, under its own name
    assert head["ContentLength"] > 0
    # the bucket is private: the object's plain URL answers 403 to anyone without a signature
    status, _headers, _body = _fetch(f"{s3_server.url}/{s3_media}/{key}")
    assert status == 403

    owner, stranger = stored.owners
    client.force_login(owner)
    response = client.get(stored.url)
    if stored.download:
        # a short-lived signed URL on the bucket, which answers with the file as a download of its stored type
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith(s3_server.url) and "Signature" in location
        assert response["Cache-Control"] == "private, no-store"
        status, headers, body = _fetch(location)
        assert status == 200 and body == stored.body
        assert headers["Content-Disposition"].startswith("attachment;")
        assert headers["Content-Type"] == "text/plain"
        client.force_login(stranger)
        assert client.get(stored.url).status_code == 404  # and no signed URL for them
    else:
        assert stranger is None  # a gig image or an avatar is public
        # an image streams from the bucket through the view (same origin: the pages' CSP needs no bucket host)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert Image.open(io.BytesIO(body)).size[0] > 0
        assert response["Content-Type"].startswith("image/")
        assert urlparse(stored.url).netloc == ""


def test_the_stored_type_comes_from_the_checked_name_not_from_the_browser(s3_media, s3_server):
    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    disguised = text_file("notes.txt", b"<script>alert(1)</script>", claimed="text/html")
    message = marketplace.message_send(conversation=conversation, sender=buyer, body="see", files=[disguised])
    key = message.attachments.get().file.name
    assert s3_server.client().head_object(Bucket=s3_media, Key=key)["ContentType"] == "text/plain"


def test_an_image_missing_from_the_bucket_is_a_404_not_a_500(client, s3_media, s3_server):
    stored = gig_image(client)
    s3_server.client().delete_object(Bucket=s3_media, Key=stored.field_file.name)
    assert client.get(stored.url).status_code == 404


def test_a_download_carries_the_name_the_page_shows(client, s3_media, s3_server):
    """Found from the outside: a long name was stored shortened, with a suffix, and downloaded under that."""
    order = make_order(10000)
    first = fund(ms(order, 1))
    long_name = "Отчёт " + "C" * 120 + ".txt"
    delivery = milestone_services.milestone_deliver(
        milestone_id=first.pk, actor=order.seller, message="done", files=check_attachments([text_file(long_name)])
    )
    item = delivery.files.get()
    client.force_login(order.buyer)
    page = client.get(order.get_absolute_url()).content.decode()
    assert item.name in page
    location = client.get(reverse("orders:delivery_file", args=[item.pk]))["Location"]
    status, headers, _body = _fetch(location)
    assert status == 200
    assert headers["Content-Disposition"].endswith("filename*=UTF-8''" + quote(item.name, safe=""))
