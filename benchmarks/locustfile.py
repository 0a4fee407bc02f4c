"""The product's people, for ``make load`` (``benchmarks/load.py`` runs Locust with this file).

- *Visitors* browse and search the catalogue and open gig pages.
- *Buyers* read their inbox, dashboard and order pages, fund milestones (the checkout and a card payment) and
  approve deliveries.
- *Sellers* read their dashboard, earnings and order pages, and deliver work.

Each signed-in person is a real user of the data set, signed in beforehand (their session cookie is in the plan,
``LOAD_PLAN``), acting on milestones of their own; the stack is production's (HTTPS behind the proxy), so every
request says ``X-Forwarded-Proto: https`` and a form posts with its CSRF token, Origin and Referer, as a browser
behind TLS would. Requests are grouped by page (``name=``) for the report.
"""

import json
import os
import random
import re
import uuid

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read()) if os.environ.get("LOAD_PLAN") else {}  # noqa: SIM115
CARD = {"pay_with": "card", "card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
HIDDEN = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"')


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def on_start(self):
        self.jar = {}
        self.client.cookies.clear()

    def _headers(self, path, form=False):
        headers = {
            "Host": "127.0.0.1",  # the site's name (the proxy's port is not part of it), as Origin and Referer say
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": f"198.51.100.{random.randint(1, 250)}",
        }
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if form:
            headers.update({"Origin": "https://127.0.0.1", "Referer": f"https://127.0.0.1{path}"})
        return headers

    def _keep(self, response):
        # the stack marks its cookies Secure (production, behind TLS): this client keeps them itself
        for name, value in response.cookies.items():
            self.jar[name] = value
        self.client.cookies.clear()

    def get(self, path, name):
        with self.client.get(path, name=name, headers=self._headers(path), catch_response=True) as response:
            self._keep(response)
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            return response

    def post(self, path, data, name, *, ok=(302,)):
        token = self.jar.get("csrftoken")
        if token is None:  # any page with a form sets it
            self.get("/dashboard/", "dashboard")
            token = self.jar.get("csrftoken", "")
        form = {"csrfmiddlewaretoken": token, "form_key": uuid.uuid4().hex, **data}
        with self.client.post(
            path,
            data=form,
            name=name,
            headers=self._headers(path, form=True),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self._keep(response)
            if response.status_code not in ok:
                response.failure(f"HTTP {response.status_code}")
            return response


class Visitor(Person):
    weight = 4

    @task(4)
    def browse(self):
        self.get(random.choice(["/gigs/", "/gigs/?sort=newest", "/gigs/?category=graphics-design"]), "browse")

    @task(4)
    def search(self):
        self.get(f"/gigs/?q={random.choice(PLAN['terms'])}", "search")

    @task(3)
    def gig_page(self):
        self.get(random.choice(PLAN["gigs"]), "gig page")

    @task(1)
    def home(self):
        self.get("/", "home")


class SignedIn(Person):
    abstract = True
    side = ""

    def on_start(self):
        super().on_start()
        # one of the data set's people (more simulated users than people: some share one, as tabs do)
        self.me = random.choice(PLAN[self.side]) if PLAN.get(self.side) else None
        if self.me is not None:
            self.jar["sessionid"] = self.me["session"]

    def take(self, key):
        work = self.me.get(key) if self.me else None
        return work.pop() if work else None


class Buyer(SignedIn):
    weight = 3
    side = "buyers"

    @task(3)
    def order_page(self):
        if self.me and self.me["orders"]:
            self.get(random.choice(self.me["orders"]), "order page")

    @task(2)
    def inbox(self):
        self.get("/inbox/", "inbox")

    @task(2)
    def dashboard(self):
        self.get("/dashboard/", "dashboard")

    @task(1)
    def fund(self):
        milestone = self.take("to_fund")
        if milestone is None:
            return
        response = self.post(f"/milestones/{milestone}/fund", {}, "fund: checkout")
        checkout = response.headers.get("Location", "")
        if "/payments/checkout/" in checkout:
            path = "/" + checkout.split("/", 3)[3] if checkout.startswith("http") else checkout
            self.get(path, "fund: checkout page")
            self.post(path, CARD, "fund: pay by card")

    @task(1)
    def approve(self):
        milestone = self.take("to_approve")
        if milestone is not None:
            self.post(f"/milestones/{milestone}/approve", {"expected_state": "delivered"}, "approve")


class Seller(SignedIn):
    weight = 3
    side = "sellers"

    @task(3)
    def dashboard(self):
        self.get("/dashboard/", "dashboard")

    @task(2)
    def earnings(self):
        self.get("/payments/earnings/", "earnings")

    @task(2)
    def order_page(self):
        if self.me and self.me["orders"]:
            self.get(random.choice(self.me["orders"]), "order page")

    @task(1)
    def deliver(self):
        milestone = self.take("to_deliver")
        if milestone is not None:
            self.post(
                f"/milestones/{milestone}/deliver",
                {"message": "Here is this phase's work.", "expected_state": "in_progress"},
                "deliver",
            )
