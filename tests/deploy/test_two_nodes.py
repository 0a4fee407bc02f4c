"""Several nodes for real: two web nodes (``scripts/serve.sh web``), two workers and one beat, behind Debian's
haproxy, all on loopback against the test's PostgreSQL database, Redis and an S3 server (moto) for the uploads.

A person signs in through one node and acts through the other; a file uploaded through one node is downloaded
through the other; the beat's clearance sweep is carried out by the two workers exactly once; one node is stopped
in the middle of a journey and the journey goes on through the proxy.
"""

import json
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from benchmarks.stack import HAPROXY, Cluster, production_env
from config import clock as project_clock
from marketplace import services as marketplace
from marketplace.models import Message
from payments.integrity import ledger_breaches
from payments.models import Earning, EarningStatus
from payments.selectors import balances_for
from tests.factories import PASSWORD
from tests.orders.builders import approve, deliver, fund, make_order, ms

from .test_behind_the_load_balancer import Person, production_user

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cluster(require_postgres, redis_url, tmp_path, s3_server):
    if not Path(HAPROXY).exists():
        from tests.conftest import _missing

        _missing("this test needs haproxy (make test installs it when run as root)")
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    db = connection.settings_dict
    env = production_env(
        database_url=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        redis_url=redis_url,
        var_dir=tmp_path,
        TIMER_SWEEP_SECONDS=1,
        CELERY_CONCURRENCY=1,
        MEDIA_STORAGE="s3",
        S3_BUCKET=bucket,
        S3_ENDPOINT_URL=s3_server.url,
        S3_ACCESS_KEY_ID="testing",
        S3_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto takes any key
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    running = Cluster(tmp_path, env)
    running.release()
    try:
        ports = running.up(nodes=2, workers=2)
    except TimeoutError as error:
        running.stop_all()
        pytest.fail(str(error))
    yield running, ports, bucket
    running.stop_all()


class Multipart(Person):
    """A person's browser that can also send a form with a file (multipart/form-data) and read a redirect."""

    def fetch(self, path):
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=40)
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-For": self.address}
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status, response.headers

    def upload(self, path, fields, files):
        import http.client
        import re

        _status, page = self.get(path)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.decode()))
        hidden["csrfmiddlewaretoken"] = self.cookies.get("csrftoken", "")
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {**hidden, **fields}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content, kind) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {kind}\r\n\r\n"
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Origin": "https://127.0.0.1",
            "Referer": f"https://127.0.0.1{path}",
        }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=40)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status, response.headers


def test_two_nodes_share_sign_ins_files_sweeps_and_survive_one_stopping(cluster, clock):
    running, ports, bucket = cluster
    buyer, seller = production_user(), production_user()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)

    # --- signed in through node a, acting through node b (the session is in the database) ---------------
    through_a = Multipart(ports["a"], "203.0.113.10")
    assert through_a.log_in(buyer.email, PASSWORD)[0] == 302
    through_b = Multipart(ports["b"], "203.0.113.10")
    through_b.cookies = dict(through_a.cookies)
    status, page = through_b.get("/dashboard/")
    assert status == 200 and buyer.display_name.encode() in page

    # --- an open conversation page polls node a (gunicorn) and sees the message node b takes ----------------
    status, polled = through_a.get(f"/live/?c={conversation.pk}")
    assert status == 200, polled[:300]
    stamp_before = json.loads(polled)["stamp"]

    # --- a file uploaded through node b is downloaded through node a (the bucket is shared) ------------------
    status, _headers = through_b.upload(
        conversation.get_absolute_url(),
        {"body": "The brief, attached."},
        {"files": ("brief.txt", b"three pages of brief\n", "text/plain")},
    )
    assert status == 302
    status, polled = through_a.get(f"/live/?c={conversation.pk}")
    assert status == 200 and json.loads(polled)["stamp"] != stamp_before
    attachment = Message.objects.filter(conversation=conversation).latest("pk").attachments.get()
    status, headers = through_a.fetch(f"/inbox/{conversation.pk}/files/{attachment.pk}/")
    assert status == 302 and headers["Location"].startswith(running.env["S3_ENDPOINT_URL"] + f"/{bucket}/")

    # --- the beat's clearance sweep is carried out by the two workers exactly once --------------------------
    clock.advance(days=-16)  # approved 16 days ago: its earning became due two days ago
    order = make_order(10000, buyer=buyer, seller=seller)
    approve(deliver(fund(ms(order, 1))))
    clock.advance(days=16)
    earning = Earning.objects.get(seller=seller)
    assert earning.status == EarningStatus.PENDING and earning.clears_at <= project_clock.now()
    try:
        running.wait_for(lambda: Earning.objects.get(pk=earning.pk).status == EarningStatus.CLEARED, 60, "the sweep")
    except TimeoutError as error:
        pytest.fail(str(error))
    time.sleep(3)  # more ticks of the beat, more sweeps by both workers: nothing more moves
    assert balances_for(seller).available_cents == earning.amount_cents
    assert balances_for(seller).pending_cents == 0
    assert not ledger_breaches()

    # --- node a stops in the middle of a journey; the proxy sends everything to node b ----------------------
    through_proxy = Multipart(ports["proxy"], "203.0.113.20")
    through_proxy.cookies = dict(through_a.cookies)
    assert through_proxy.get("/dashboard/")[0] == 200
    running.stop("web-a")
    for _ in range(6):  # every request of the journey still answers, whichever node the proxy tried first
        assert through_proxy.get(order.get_absolute_url())[0] == 200
    status, _headers = through_proxy.upload(
        conversation.get_absolute_url(), {"body": "Still here after node a went away."}, {}
    )
    assert status == 302
    assert Message.objects.filter(body="Still here after node a went away.").exists()
