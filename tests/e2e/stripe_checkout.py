"""The checkout page with the Stripe provider, in Chromium: Stripe.js replaced by the stand-in
(stripe_js_standin.js) talking to the fake Stripe API (tests/fake_stripe/).

``StripeBrowser(context, fake)`` serves the stand-in at ``settings.STRIPE_JS_URL`` (route-fulfilled: no
network), refuses any other request to Stripe's hosts (and says so), and keeps what the tests check on every
page: the HTML the server sent, the bodies the browser posted to this site, console errors and the
Content-Security-Policy violations the page reported.
"""

import re
from pathlib import Path

from django.conf import settings

STANDIN = Path(__file__).with_name("stripe_js_standin.js")
# A card number the way a buyer might type it or a page might echo it: 13 to 19 digits, in groups or not.
CARD_NUMBER = re.compile(r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w.])")


def luhn(number):
    digits = [int(d) for d in re.sub(r"\D", "", number)][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


REDRAWN_WITH_400 = "the server responded with a status of 400 (Bad Request)"


class StripeBrowser:
    def __init__(self, context, fake, base_url):
        self.context = context
        self.fake = fake
        self.base_url = base_url.rstrip("/")
        self.documents = []  # (url, status, html) of each page this site sent
        self.posted = []  # (url, body) of each form the browser posted to this site
        self.console_errors = []
        self.elsewhere = []  # requests to Stripe's real hosts other than Stripe.js (refused)
        script = STANDIN.read_text().replace("__FAKE_STRIPE_API__", fake.url)
        # the routes registered last are tried first: Stripe.js itself, then anything else at Stripe
        context.route(re.compile(r"^https://([\w-]+\.)*stripe\.com/.*"), self._refuse)
        context.route(
            settings.STRIPE_JS_URL,
            lambda route: route.fulfill(status=200, content_type="application/javascript", body=script),
        )
        context.on("response", self._response)
        context.on("request", self._request)
        context.on("console", self._console)

    def _refuse(self, route):
        self.elsewhere.append(route.request.url)
        route.abort()

    def _response(self, response):
        if response.request.resource_type == "document" and response.url.startswith(self.base_url):
            try:
                body = response.text()
            except Exception:  # noqa: BLE001 (a redirect has no body to read)
                body = ""
            self.documents.append((response.url, response.status, body))

    def _request(self, request):
        if request.method == "POST" and request.url.startswith(self.base_url):
            self.posted.append((request.url, request.post_data or ""))

    def _console(self, message):
        # A refused card draws the checkout again with status 400, which Chromium logs as a failed load.
        if message.type == "error" and not message.text.endswith(REDRAWN_WITH_400):
            self.console_errors.append(message.text)

    def page(self):
        page = self.context.new_page()
        # Content-Security-Policy refusals, as the page itself reports them
        page.add_init_script(
            """document.addEventListener("securitypolicyviolation", (e) => {
                 (window.__cspViolations = window.__cspViolations || []).push(
                   `${e.violatedDirective} refused ${e.blockedURI}`);
               });"""
        )
        return page

    def card_numbers_sent(self):
        """Card numbers (digit runs that pass the Luhn check) in any page this site sent or in any form posted
        to it: there must be none."""
        sent = [(url, html) for url, _status, html in self.documents] + self.posted
        return [(url, match) for url, text in sent for match in CARD_NUMBER.findall(text) if luhn(match)]

    def problems(self, page):
        """CSP violations seen on ``page``, console errors and requests to Stripe's real hosts."""
        violations = page.evaluate("() => window.__cspViolations || []")
        return (
            [f"CSP: {v}" for v in violations]
            + [f"console: {e}" for e in self.console_errors]
            + [f"went to Stripe: {u}" for u in self.elsewhere]
        )


def type_card(page, number, expiry="12 / 34", cvc="123"):
    """Type a card into the stand-in's Payment Element (where Stripe's frame would be)."""
    element = page.locator("#payment-element [data-testid=stripe-standin]")
    element.get_by_label("Card number").fill(number)
    element.get_by_label("Expiration date").fill(expiry)
    element.get_by_label("Security code").fill(cvc)


def pay(page, number, **card):
    type_card(page, number, **card)
    page.click("[data-testid=pay-card]")
