"""Uploads are judged by content and size: refused with a message, and nothing is stored."""

import os
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace import services
from marketplace.exceptions import InvalidInput
from marketplace.models import Conversation, Gig, GigImage, Message, MessageAttachment

from .conftest import image_file, login

pytestmark = pytest.mark.django_db

TWENTY_MB = 20 * 1024 * 1024


def stored_files():
    root = settings.MEDIA_ROOT
    if not os.path.exists(root):
        return []
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def big_png():
    head = image_file("big.png").read()
    return SimpleUploadedFile("big.png", head + b"\0" * (TWENTY_MB - len(head)), content_type="image/png")


def exe_as_png():
    return SimpleUploadedFile("holiday.png", b"MZ\x90\x00\x03" + b"\0" * 2000, content_type="image/png")


def corrupted_png():
    data = image_file("broken.png", size=(400, 300)).read()
    return SimpleUploadedFile("broken.png", data[: len(data) // 2], content_type="image/png")


BAD_FILES = [
    pytest.param(big_png, "too large", id="20MB"),
    pytest.param(exe_as_png, "(not a valid image|Executable files are not accepted)", id="exe-renamed-png"),
    pytest.param(corrupted_png, "not a valid image", id="corrupted-image"),
]


def gig_data(category, upload):
    return {
        "title": "I will illustrate your children's book",
        "category": str(category.pk),
        "description": "Warm, hand-drawn illustrations for every page of your story.",
        "pricing": "simple",
        "price": "300",
        "delivery_days": "10",
        "images": [image_file("good.png"), upload],
    }


@pytest.mark.parametrize(("make_file", "reason"), BAD_FILES)
def test_bad_gig_image_is_refused_with_a_message_and_nothing_is_stored(client, seller, logo_design, make_file, reason):
    login(client, seller)
    response = client.post(reverse("marketplace:gig_create"), gig_data(logo_design, make_file()))
    assert response.status_code == 400
    content = response.content.decode()
    assert "The gig was not saved" in content
    assert make_file().name in content and re.search(reason, content)
    assert not Gig.objects.exists() and not GigImage.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize(("make_file", "reason"), BAD_FILES)
def test_bad_image_added_on_edit_changes_nothing(client, seller, gig, logo_design, make_file, reason):
    login(client, seller)
    before = stored_files()
    response = client.post(reverse("marketplace:gig_edit", args=[gig.pk]), gig_data(logo_design, make_file()))
    assert response.status_code == 400
    assert re.search(reason, response.content.decode())
    gig.refresh_from_db()
    assert gig.title == "I will build a Django web application" and not gig.images.exists()
    assert stored_files() == before


@pytest.mark.parametrize(("make_file", "reason"), BAD_FILES)
def test_service_refuses_bad_gig_images_before_writing_anything(make_gig, make_file, reason):
    with pytest.raises(InvalidInput, match=f"{reason}.*Nothing was saved"):
        make_gig(images=[image_file("fine.png"), make_file()])
    assert not Gig.objects.exists() and stored_files() == []


@pytest.mark.parametrize(("make_file", "reason"), BAD_FILES)
def test_bad_attachment_is_refused_with_a_message_and_nothing_is_sent(client, buyer, conversation, make_file, reason):
    login(client, buyer)
    url = reverse("marketplace:conversation", args=[conversation.pk])
    response = client.post(url, {"body": "Here is the file", "files": [make_file()]})
    assert response.status_code == 400
    content = response.content.decode()
    assert "Your message was not sent" in content and make_file().name in content and re.search(reason, content)
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()
    assert stored_files() == []
    conversation.refresh_from_db()
    assert conversation.seller_unread == 0


@pytest.mark.parametrize(("make_file", "reason"), BAD_FILES)
def test_message_service_refuses_bad_attachments(buyer, conversation, make_file, reason):
    with pytest.raises(InvalidInput, match=f"{reason}.*Nothing was sent"):
        services.message_send(conversation=conversation, sender=buyer, body="see attached", files=[make_file()])
    assert not Message.objects.exists() and stored_files() == []


def test_unknown_attachment_types_are_refused(client, buyer, conversation):
    login(client, buyer)
    upload = SimpleUploadedFile("setup.exe", b"MZ" + b"\0" * 100)
    response = client.post(reverse("marketplace:conversation", args=[conversation.pk]), {"files": [upload]})
    assert response.status_code == 400
    assert "are not accepted" in response.content.decode()
    assert not Message.objects.exists()


def test_contact_with_a_bad_file_opens_no_conversation(client, buyer, gig):
    login(client, buyer)
    response = client.post(
        reverse("marketplace:gig_contact", args=[gig.slug]), {"body": "Hello!", "files": [exe_as_png()]}
    )
    assert response.status_code == 400
    assert "Your message was not sent" in response.content.decode()
    assert not Conversation.objects.exists() and stored_files() == []
