from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db


def png_bytes(size=(400, 300), color="teal"):
    out = BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def test_profile_edit_saves_name_bio_and_a_square_avatar(client, user):
    client.force_login(user)
    upload = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    response = client.post(
        reverse("profile_edit"), {"display_name": "Jo Maker", "bio": "I build things.", "avatar": upload}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Jo Maker"
    assert user.bio == "I build things."
    with Image.open(user.avatar) as image:
        assert image.size == (256, 256)
        assert image.format == "JPEG"
    served = client.get(reverse("avatar", args=[user.pk]))
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (3 * 1024 * 1024), "too large"),
        ("virus.png", b"MZ\x90\x00" + b"\x00" * 2000, "not a valid image"),
        ("broken.png", png_bytes()[:200], "not a valid image"),
    ],
)
def test_profile_refuses_bad_avatars_and_keeps_the_old_data(client, user, name, content, message):
    client.force_login(user)
    before = user.display_name
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = client.post(reverse("profile_edit"), {"display_name": "Changed", "bio": "", "avatar": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == before
    assert not user.avatar


def test_profile_text_is_escaped_where_shown(client, user):
    client.force_login(user)
    client.post(reverse("profile_edit"), {"display_name": "<script>alert(1)</script>", "bio": ""})
    body = client.get(reverse("profile_edit")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_profile_page_needs_login(client):
    assert client.get(reverse("profile_edit")).status_code == 302
