"""``make bench``: build the data set on PostgreSQL, measure, print a table, write ``benchmarks/results.json``.

    python -m benchmarks.run [--scale 1.0] [--clearance 100000] [--wrk-seconds 10] [--approve-seconds 15]

The database is ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/mk_bench``;
never ``DATABASE_URL``, which may be your own); it is dropped and created again at the start of
each run. Goals the numbers are judged against (not timed tests) are printed beside them; see
README "Performance".
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/mk_bench"
SEARCH_TERMS = [
    "logo", "django", "website", "seo", "video editing", "data analysis", "translation", "business plan",
    "react", "wordpress", "stripe payments", "api", "brand", "illustration", "blog articles", "email marketing",
    "mobile app", "docker aws", "presentation", "market research", "modern logo for startups", "explainer video",
]  # fmt: skip


def log(message=""):
    print(message, flush=True)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return 0.0
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def ms(values):
    return {"p50_ms": round(percentile(values, 50) * 1000, 2), "p95_ms": round(percentile(values, 95) * 1000, 2)}


# --- database ------------------------------------------------------------------------
def recreate_database(url):
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"refusing to recreate a database named {name!r}")
    import psycopg

    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url):
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()


# --- the objects the pages show, made through the services -----------------------------------
def make_targets(builder):
    """The order with 6 milestones and 300 messages, and small counterparts to prove query counts stay flat."""
    from accounts.models import User
    from marketplace import services as marketplace
    from milestones import services as milestones
    from milestones.models import Milestone
    from orders import services as orders
    from orders.services import PlanItem
    from payments import services as payments
    from payments.providers.sandbox import CARD_SUCCEEDS

    seller = builder.power_seller
    buyer = User.objects.create_user("bench-buyer@bench.example", "bench-pass-2026", display_name="Bench Buyer")
    small_seller = User.objects.create_user("small-seller@bench.example", "bench-pass-2026", display_name="Small")
    gig = builder.gigs_by_seller[seller.pk][0]

    def order_with(seller, amounts, *, messages):
        conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
        offer = orders.offer_create(
            conversation=conversation,
            author=seller,
            items=[PlanItem(f"Phase {i}", f"Deliverables of phase {i}", a, 5, 2) for i, a in enumerate(amounts, 1)],
        )
        order = orders.offer_accept(offer_id=offer.pk, actor=buyer)
        for i in range(messages):
            sender = buyer if i % 2 == 0 else seller
            marketplace.message_send(conversation=conversation, sender=sender, body=f"Message {i}: {CHATTER_LINE}")
        return order

    def step(order, position):
        return Milestone.objects.select_related("order").get(order=order, position=position)

    def fund(order, position):
        checkout = milestones.milestone_fund_checkout(milestone=step(order, position), actor=buyer)
        payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)

    big = order_with(seller, [20000, 15000, 15000, 10000, 10000, 30000], messages=300)
    for position in (1, 2, 3):
        fund(big, position)
    m1 = step(big, 1)
    milestones.milestone_deliver(milestone_id=m1.pk, actor=seller, message="First phase delivered.")
    milestones.milestone_approve(milestone_id=m1.pk, actor=buyer)
    m2 = step(big, 2)
    milestones.milestone_deliver(milestone_id=m2.pk, actor=seller, message="Second phase, first try.")
    milestones.milestone_request_revision(milestone_id=m2.pk, actor=buyer, feedback="Please change the colours.")
    milestones.milestone_deliver(milestone_id=m2.pk, actor=seller, message="Second phase, revised.")

    small = order_with(small_seller, [5000], messages=2)
    fund(small, 1)
    s1 = step(small, 1)
    milestones.milestone_deliver(milestone_id=s1.pk, actor=small_seller, message="Done.")
    milestones.milestone_approve(milestone_id=s1.pk, actor=buyer)
    small_open = order_with(small_seller, [5000], messages=1)
    fund(small_open, 1)
    milestones.milestone_deliver(milestone_id=step(small_open, 1).pk, actor=small_seller, message="Done.")
    # one milestone in progress too, so each of the small seller's dashboard lists has a row, as the big one's do
    # (an empty list runs its count but no page query)
    fund(order_with(small_seller, [5000], messages=1), 1)
    return {
        "buyer": buyer,
        "seller": seller,
        "small_seller": small_seller,
        "gig": gig,
        "order": big,
        "small_order": small_open,
    }


CHATTER_LINE = "Thanks, that works for me. I'll check the files tonight and get back to you tomorrow morning."


# --- pages, timed in-process (server time: the full middleware stack, no network) ------------------
def page_requests(t):
    from marketplace.models import Gig, GigStatus

    small_gig = Gig.objects.filter(status=GigStatus.ACTIVE, packages__isnull=True).exclude(pk=t["gig"].pk).first()
    search = "/gigs/?q=logo&category=graphics-design&max_price=500"
    # the same search narrowed to a handful of results (one gig's own title)
    few = Gig.objects.filter(status=GigStatus.ACTIVE, category__parent__slug="graphics-design").first()
    narrow = f"/gigs/?{urlencode({'q': few.title, 'category': 'graphics-design', 'max_price': 500})}"
    return [
        # name, path, user, path on small data (query counts must match)
        ("baseline", "/bench/baseline", t["buyer"], "/bench/baseline"),
        ("frame", "/bench/frame", t["buyer"], "/bench/frame"),
        ("home", "/", t["buyer"], "/"),
        ("search with a filter", search, t["buyer"], narrow),
        ("gig page", t["gig"].get_absolute_url(), t["buyer"], small_gig.get_absolute_url()),
        (
            "order page (6 milestones, 300 messages)",
            t["order"].get_absolute_url(),
            t["buyer"],
            t["small_order"].get_absolute_url(),
        ),
        ("seller dashboard", "/dashboard/", t["seller"], "/dashboard/"),
        ("earnings page", "/payments/earnings/", t["seller"], "/payments/earnings/"),
    ]


def time_pages(targets, *, rounds):
    from django.db import connection
    from django.test import Client

    results = {}

    def count_queries(client, path):
        """Statements one request runs (an execute wrapper: independent of DEBUG and the query log)."""
        statements = []
        with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
            client.get(path)
        return len(statements)

    clients = {}

    def client_for(user):
        if user.pk not in clients:
            client = Client(raise_request_exception=True)
            client.force_login(user)
            clients[user.pk] = client
        return clients[user.pk]

    small_users = {"seller dashboard": targets["small_seller"], "earnings page": targets["small_seller"]}
    for name, path, user, small_path in page_requests(targets):
        client = client_for(user)
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {path} answered {response.status_code}")
        queries = count_queries(client, path)
        small_queries = count_queries(client_for(small_users.get(name, user)), small_path)
        for _ in range(10):
            client.get(path)
        durations = []
        n = rounds if "order" not in name else max(50, rounds // 2)
        for _ in range(n):
            started = time.perf_counter()
            client.get(path)
            durations.append(time.perf_counter() - started)
        results[name] = {
            "path": path,
            **ms(durations),
            "queries": queries,
            "queries_small_data": small_queries,
            "bytes": len(response.content),
            "requests": n,
        }
        log(
            f"  {name:42} p50 {results[name]['p50_ms']:7.2f} ms  p95 {results[name]['p95_ms']:7.2f} ms  "
            f"{queries:3d} queries (small data: {small_queries})"
        )
    base, frame = results["baseline"]["p50_ms"], results["frame"]["p50_ms"]
    for row in results.values():
        row["x_baseline"] = round(row["p50_ms"] / base, 1) if base else None
        row["x_frame"] = round(row["p50_ms"] / frame, 1) if frame else None
    return results


def time_search(*, rounds):
    """The search page's reads (``gig_search_page``: the first 20 cards, their images, the total) over the catalogue."""
    from marketplace.models import Category
    from marketplace.selectors import Sort, gig_search_page

    graphics = Category.objects.get(slug="graphics-design")
    cases = []
    for term in SEARCH_TERMS:
        cases.append({"q": term})
        cases.append({"q": term, "max_price_cents": 50000, "sort": Sort.RATING})
    # and browsing: the plain /gigs/ page (best rated first), a category, newest first, price and delivery filters
    cases += [{}, {"category": graphics}, {"sort": Sort.NEWEST}, {"min_price_cents": 20000, "max_delivery_days": 7}]

    def search(case):
        page = gig_search_page(page=1, per_page=20, **case)
        list(page.object_list)
        return page.paginator.count  # the page shows the total

    for case in cases:  # warm up
        search(case)
    durations = []
    for _ in range(rounds):
        for case in cases:
            started = time.perf_counter()
            search(case)
            durations.append(time.perf_counter() - started)
    return {**ms(durations), "searches": len(durations), "distinct_queries": len(cases)}


# --- throughput under wrk, against gunicorn on loopback --------------------------------
def ensure_wrk():
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("  installing wrk (Debian package)...")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    return bool(shutil.which("wrk"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def run_wrk(url, cookie, seconds, connections):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-H", f"Cookie: {cookie}", url]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    factor = {"us": 0.001, "ms": 1, "s": 1000}[latency.group(2)] if latency else 0
    return {
        "requests_per_second": round(rps, 1),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "mean_latency_ms": round(float(latency.group(1)) * factor, 2) if latency else None,
    }


def throughput(targets, *, seconds, workers, connections):
    if not ensure_wrk():
        log("  wrk is not installed (apt-get install wrk): throughput skipped")
        return None
    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(workers),
        GUNICORN_ACCESSLOG="",
        GUNICORN_LOGLEVEL="warning",
        GUNICORN_MAX_REQUESTS="0",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c", str(ROOT / "config/gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/bench/baseline", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        cookie = session_cookie(targets["buyer"])
        urls = {
            "baseline": "/bench/baseline",
            "order page": targets["order"].get_absolute_url(),
            "search with a filter": "/gigs/?q=logo&category=graphics-design&max_price=500",
        }
        out = {"gunicorn_workers": workers, "connections": connections, "seconds": seconds}
        for name, path in urls.items():
            run_wrk(base + path, cookie, 3, connections)  # warm every worker
            out[name] = run_wrk(base + path, cookie, seconds, connections)
            log(f"  {name:22} {out[name]['requests_per_second']:8.1f} req/s  (non-2xx: {out[name]['non_2xx']})")
        rps = out["baseline"]["requests_per_second"]
        for name in ("order page", "search with a filter"):
            out[name]["of_baseline"] = round(out[name]["requests_per_second"] / rps, 3) if rps else None
        return out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


# --- approvals vs pgbench ----------------------------------------------------------------
def approvals(*, workers, seconds):
    from benchmarks.approvals import measure
    from milestones.models import Milestone, State

    pool = list(
        Milestone.objects.filter(state=State.DELIVERED)
        .order_by("order_id")
        .values_list("pk", "order__buyer_id", "order_id")
    )
    return measure(workers=workers, seconds=seconds, pool=pool)


def pgbench(url, *, clients, seconds):
    if not shutil.which("pgbench"):
        return None
    parsed = urlparse(url)
    base = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    env = dict(os.environ, PGPASSWORD=parsed.password or "")
    name = parsed.path.lstrip("/")
    subprocess.run(["pgbench", *base, "-i", "-q", "-s", "10", name], env=env, check=True, capture_output=True)
    try:
        out = subprocess.run(
            ["pgbench", *base, "-N", "-n", "-c", str(clients), "-j", str(clients), "-T", str(seconds), name],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run(["pgbench", *base, "-i", "-I", "d", name], env=env, check=False, capture_output=True)
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    return {"clients": clients, "seconds": seconds, "tps": round(tps, 1), "scale": 10}


# --- clearance ------------------------------------------------------------------------
def clearance(builder, count):
    started = time.monotonic()
    built = builder.build_clearance_backlog(count)
    # Two weeks of approvals were just written in two minutes; in production autovacuum has long been over
    # these rows when they come due (visibility, hint bits, statistics), so the sweep meets them vacuumed.
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("payments_earning", "payments_ledgeraccount", "payments_ledgertransaction"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    log(f"  backlog of {built:,} due earnings built in {time.monotonic() - started:.0f} s; sweeping...")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.clearance"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- report ---------------------------------------------------------------------------------
def verdict(ok):
    return "—" if ok is None else ("met" if ok else "MISSED")


def report(results):
    pages, goals = results["pages"], results["goals"]
    lines = [
        "| page | p50 ms | p95 ms | × baseline | × frame | queries (small data) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in pages.items():
        lines.append(
            f"| {name} | {row['p50_ms']} | {row['p95_ms']} | {row['x_baseline']} | {row['x_frame']} | "
            f"{row['queries']} ({row['queries_small_data']}) |"
        )
    lines += ["", "| measure | value | goal | verdict |", "|---|---:|---|---|"]
    for goal in goals:
        lines.append(f"| {goal['what']} | {goal['value']} | {goal['goal']} | {verdict(goal['ok'])} |")
    return "\n".join(lines)


def judge(results):
    goals = []
    pages = {k: v for k, v in results["pages"].items() if k not in ("baseline", "frame")}
    flat = all(v["queries"] == v["queries_small_data"] for v in pages.values())
    goals.append(
        {
            "what": "page query counts independent of data size",
            "value": "yes" if flat else "no",
            "goal": "same count on small data",
            "ok": flat,
        }
    )
    worst = max(pages.values(), key=lambda v: v["x_baseline"])
    goals.append(
        {
            "what": "slowest page p50 vs baseline",
            "value": f"{worst['x_baseline']}×",
            "goal": "≤ 3×",
            "ok": worst["x_baseline"] <= 3,
        }
    )
    worst_frame = max(pages.values(), key=lambda v: v["x_frame"])
    goals.append(
        {
            "what": "slowest page p50 vs the page-frame baseline",
            "value": f"{worst_frame['x_frame']}×",
            "goal": "(context, not a goal)",
            "ok": None,
        }
    )
    tp = results.get("throughput")
    if tp:
        for name in ("order page", "search with a filter"):
            share = tp[name]["of_baseline"]
            goals.append(
                {"what": f"{name} throughput vs baseline", "value": f"{share:.0%}", "goal": "≥ 40%", "ok": share >= 0.4}
            )
    ap, pg = results.get("approvals"), results.get("pgbench")
    if ap and pg:
        share = ap["per_second"] / pg["tps"]
        goals.append(
            {
                "what": "approvals/s vs pgbench -N TPS",
                "value": f"{ap['per_second']} / {pg['tps']} = {share:.0%}",
                "goal": "≥ 20%",
                "ok": share >= 0.2,
            }
        )
    cl = results.get("clearance")
    if cl:
        complete = cl["cleared"] == cl["due"] and cl["cleared_by_second_run"] == 0
        goals.append(
            {
                "what": f"clearance of {cl['cleared']:,} due earnings: time",
                "value": f"{cl['seconds']} s ({cl['per_second']:,}/s)",
                "goal": "< 10 s",
                "ok": cl["seconds"] < 10 and complete,
            }
        )
        goals.append(
            {
                "what": "clearance: peak memory (RSS of the process)",
                "value": f"{cl['peak_rss_mb']} MB",
                "goal": "< 300 MB",
                "ok": cl["peak_rss_mb"] < 300 and complete,
            }
        )
    se = results["search"]
    goals.append(
        {
            "what": "search over the full catalogue",
            "value": f"p50 {se['p50_ms']} ms, p95 {se['p95_ms']} ms",
            "goal": "p95 < 50 ms",
            "ok": se["p95_ms"] < 50,
        }
    )
    return goals


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="data set size (1.0: 20,000 orders)")
    parser.add_argument("--clearance", type=int, default=100_000, help="due earnings for the clearance sweep")
    parser.add_argument("--rounds", type=int, default=200, help="timed requests per page")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=(os.cpu_count() or 1) * 2)
    parser.add_argument("--approve-workers", type=int, default=os.cpu_count() or 1, help="and pgbench clients")
    parser.add_argument("--approve-seconds", type=int, default=15)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)

    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB
    if not url.startswith("postgres"):
        raise SystemExit("make bench needs PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    os.environ["DATABASE_URL"] = url
    started = time.monotonic()
    log(
        f"Benchmark on {os.cpu_count()} cores, database {urlparse(url).path.lstrip('/')} (recreated), "
        f"scale {args.scale}"
    )
    recreate_database(url)
    setup_django(url)
    from django.core.management import call_command

    from benchmarks.dataset import Builder, check, escrow_consistent

    call_command("migrate", verbosity=0)
    log("Building the data set...")
    builder = Builder(scale=args.scale)
    counts = builder.build()
    log("  " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    targets = make_targets(builder)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    check(log=log)
    assert escrow_consistent() == 0, "escrow does not match the milestones' states"
    build_seconds = time.monotonic() - started

    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "scale": args.scale,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "data_set": counts,
        "build_seconds": round(build_seconds),
    }
    log("Pages (server time, in-process through the whole middleware stack):")
    results["pages"] = time_pages(targets, rounds=args.rounds)
    log("Search over the full catalogue (selector + first page):")
    results["search"] = time_search(rounds=5)
    log(f"  p50 {results['search']['p50_ms']} ms, p95 {results['search']['p95_ms']} ms")
    log(f"Throughput (gunicorn, {args.web_workers} workers, wrk {args.wrk_connections} connections):")
    results["throughput"] = throughput(
        targets, seconds=args.wrk_seconds, workers=args.web_workers, connections=args.wrk_connections
    )
    log(f"Approvals through the service layer ({args.approve_workers} processes):")
    results["approvals"] = approvals(workers=args.approve_workers, seconds=args.approve_seconds)
    log(
        f"  {results['approvals']['approved']} approvals in {results['approvals']['seconds']} s: "
        f"{results['approvals']['per_second']}/s ({results['approvals']['errors']} errors)"
    )
    results["pgbench"] = pgbench(url, clients=args.approve_workers, seconds=args.approve_seconds)
    if results["pgbench"]:
        log(f"  pgbench -N, {args.approve_workers} clients: {results['pgbench']['tps']} TPS")
    log("Clearance sweep:")
    results["clearance"] = clearance(builder, args.clearance)
    log(
        f"  {results['clearance']['cleared']:,} cleared in {results['clearance']['seconds']} s, "
        f"peak RSS {results['clearance']['peak_rss_mb']} MB (second run cleared "
        f"{results['clearance']['cleared_by_second_run']})"
    )
    check(log=log, sample=5)
    assert escrow_consistent() == 0, "escrow does not match the milestones' states after the runs"
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["goals"] = judge(results)
    results["total_seconds"] = round(time.monotonic() - started)
    Path(args.output).write_text(json.dumps(results, indent=2, default=str) + "\n")
    log("")
    log(report(results))
    log(f"\nWritten to {args.output} in {results['total_seconds']} s.")


if __name__ == "__main__":
    main()
