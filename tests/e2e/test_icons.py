"""The app's own icons instead of emoji (a missing glyph where no emoji font is installed), and the admin's favicon."""

import pytest

from tests.security.world import build_world

from .pages import session_cookie
from .test_every_page import ensure_support_group

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_attachment_shows_the_apps_paperclip_icon_and_the_admin_has_a_favicon(browser, live_server):
    ensure_support_group()
    world = build_world()
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies([session_cookie(world.users["buyer"], live_server.url)])
    page = context.new_page()
    page.goto(world.conversation.get_absolute_url())
    link = page.locator(".attachments a", has_text="notes.txt")
    assert "\U0001f4ce" not in link.inner_text()
    icon = link.locator("svg.icon use")
    sprite, _, symbol = icon.get_attribute("href").partition("#")
    assert symbol == "paperclip"
    response = page.request.get(sprite)
    assert response.ok and 'id="paperclip"' in response.text()
    box = link.locator("svg.icon").bounding_box()
    assert box["width"] >= 12 and box["height"] >= 12  # drawn at the text's size
    context.close()

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    for path in ("/admin/login/", "/"):
        page.goto(path)
        href = page.locator("link[rel~=icon]").get_attribute("href")
        response = page.request.get(href)
        assert response.ok and response.headers["content-type"].startswith("image/svg"), (path, href)
    context.close()
