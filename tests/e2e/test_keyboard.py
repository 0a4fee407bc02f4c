"""The main journeys by keyboard: every action of the page reached with Tab, each showing where the focus is.

On the log-in page, the gig list, a gig page, a conversation with an offer and the order page (as the
buyer and as the seller), every visible link, button, field and toggle inside <main> is focused by
pressing Tab from the top of the page, and the focused element draws a focus indicator (a computed
outline or box-shadow that is not none). Then a person logs in and searches with the keyboard alone.
"""

import re

import pytest

from tests.factories import PASSWORD
from tests.orders.builders import fund, ms

from .pages import session_cookie
from .test_phone_layout import deal  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Number every visible interactive element of <main> (data-kb), in document order.
MARK = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const all = [...document.querySelectorAll('main ' + selector.split(', ').join(', main '))]
    .filter(e => !e.disabled && e.tabIndex >= 0 && e.checkVisibility({visibilityProperty: true}));
  all.forEach((e, i) => e.dataset.kb = i);
  return all.map(e => (e.tagName.toLowerCase() + ' '
    + (e.innerText || e.name || e.getAttribute('aria-label') || '')).trim().slice(0, 50));
}"""

# What has the focus, and whether it shows.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {kb: e.dataset.kb ?? null, visible: outline || style.boxShadow !== 'none',
          focusVisible: e.matches(':focus-visible'),
          name: e.tagName.toLowerCase() + ' ' + (e.innerText || e.name || '').slice(0, 40)};
}"""


def tab_through(page):
    """Press Tab from the top until the focus leaves the page; return (never reached, reached without focus shown)."""
    names = page.evaluate(MARK)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached, unseen = set(), []
    for _ in range(len(names) + 40):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        if not (focused["visible"] and focused["focusVisible"]):
            unseen.append(focused["name"])
        if focused["kb"] is not None:
            reached.add(int(focused["kb"]))
    return [name for i, name in enumerate(names) if i not in reached], unseen


@pytest.fixture
def keyboard_page(browser, live_server):
    contexts = []

    def open_as(user=None):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            context.add_cookies([session_cookie(user, live_server.url)])
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


def test_every_action_of_the_main_pages_is_reached_by_tab_with_visible_focus(keyboard_page, deal):  # noqa: F811
    from orders import services as order_services

    order = order_services.offer_accept(offer_id=deal["offer"].pk, actor=deal["buyer"])
    fund(ms(order, 1))
    visits = [
        (None, "/accounts/login/"),
        (None, "/gigs/?q=django"),
        (None, deal["gig"].get_absolute_url()),
        ("buyer", deal["conversation"].get_absolute_url()),
        ("buyer", order.get_absolute_url()),
        ("seller", order.get_absolute_url()),
    ]
    problems = []
    for who, url in visits:
        page = keyboard_page(deal[who] if who else None)
        page.goto(url)
        missed, unseen = tab_through(page)
        problems += [f"{url} as {who or 'anonymous'}: never reached by Tab: {name}" for name in missed]
        problems += [f"{url} as {who or 'anonymous'}: focus not shown on {name}" for name in unseen]
    assert not problems, "\n".join(problems)


def test_log_in_and_search_with_the_keyboard_alone(keyboard_page, deal):  # noqa: F811
    page = keyboard_page()
    page.goto("/accounts/login/")

    def tab_to(selector, limit=40):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("input[name=login]")
    page.keyboard.type(deal["buyer"].email)
    tab_to("input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/dashboard/$"))
    page.goto("/gigs/")
    tab_to("main input[name=q]")
    page.keyboard.type("django")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=django.*"))
    tab_to(".gig-card-title a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(deal["gig"].get_absolute_url()) + "$"))
