"""``make load``: the product's people (``benchmarks/locustfile.py``) against two web nodes behind haproxy.

    python -m benchmarks.load [--scale 0.05] [--steps 20,40,60,80,100,120,160] [--step-seconds 30]
                              [--goal-users 60] [--goal-seconds 120]

It builds the ``make bench`` data set (``LOAD_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/mk_load``, dropped and created again) and signs its people in, then starts
the deployment of ``benchmarks/stack.py`` on loopback: two ``scripts/serve.sh web`` nodes (production settings,
``WEB_CONCURRENCY`` 2 each), two workers, one beat and haproxy, against PostgreSQL and Redis
(``LOAD_REDIS_URL``, default ``redis://127.0.0.1:6379/12``). Locust then runs:

- the goal run: ``--goal-users`` people for ``--goal-seconds`` through the proxy;
- steps of rising users (``--steps``, ``--step-seconds`` each) to find the knee, the first step whose p95 passes
  1 s;
- the goal's user count against one node alone, for the two-node ratio.

Each run gets milestones of its own to fund, approve and deliver. ``ledger_check`` runs at the end. It prints a
table and writes ``benchmarks/load.json`` (cores, date, users, durations, requests per second, p50/p95/p99 per
page group, errors by kind, the knee, the ledger check). Goals are judged, not asserted.
"""

import argparse
import csv
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.run import SEARCH_TERMS, log, recreate_database, setup_django
from benchmarks.stack import HAPROXY, Cluster, production_env

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "load.json"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/mk_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"


def people(*, sellers, buyers, runs):
    """Each person's session and, for each run, the milestones of their own to act on (disjoint across runs)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from milestones.models import Milestone, Order, OrderStatus, State

    users = get_user_model().objects

    def session(user):
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    def split(items):
        items = list(items)
        random.shuffle(items)
        return [items[i::runs] for i in range(runs)]

    plans = [{"buyers": [], "sellers": [], "terms": SEARCH_TERMS, "gigs": []} for _ in range(runs)]
    for side, ids in (("buyers", buyers), ("sellers", sellers)):
        party = "buyer" if side == "buyers" else "seller"
        for user in users.filter(pk__in=ids):
            mine = Milestone.objects.filter(**{f"order__{party}": user, "order__status": OrderStatus.ACTIVE})
            orders = [
                f"/orders/{pk}/" for pk in Order.objects.filter(**{party: user}).values_list("pk", flat=True)[:10]
            ]
            work = {}
            if side == "buyers":
                work["to_fund"] = split(mine.filter(state=State.AWAITING_FUNDING).values_list("pk", flat=True))
                work["to_approve"] = split(mine.filter(state=State.DELIVERED).values_list("pk", flat=True))
            else:
                work["to_deliver"] = split(mine.filter(state=State.IN_PROGRESS).values_list("pk", flat=True))
            cookie = session(user)
            for run in range(runs):
                plans[run][side].append({"session": cookie, "orders": orders, **{k: v[run] for k, v in work.items()}})
    from marketplace.models import Gig, GigStatus

    gigs = [g.get_absolute_url() for g in Gig.objects.filter(status=GigStatus.ACTIVE).order_by("?")[:300]]
    for plan in plans:
        plan["gigs"] = gigs
    return plans


def active_people(count):
    """The sellers and buyers with the most open work (so funding, approving and delivering have plenty)."""
    from django.db.models import Count

    from milestones.models import Order, OrderStatus

    active = Order.objects.filter(status=OrderStatus.ACTIVE)
    sellers = active.values("seller").annotate(n=Count("pk")).order_by("-n")[:count]
    buyers = active.values("buyer").annotate(n=Count("pk")).order_by("-n")[:count]
    return [r["seller"] for r in sellers], [r["buyer"] for r in buyers]


def run_locust(*, host, users, seconds, plan, folder, name):
    plan_path = folder / f"{name}-plan.json"
    plan_path.write_text(json.dumps(plan))
    prefix = folder / name
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "benchmarks" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(1, users // 5)),
        "--run-time",
        f"{seconds}s",
        "--host",
        host,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
    ]
    env = dict(os.environ, LOAD_PLAN=str(plan_path))
    subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, timeout=seconds + 120)
    return read_stats(prefix, users=users, seconds=seconds)


def read_stats(prefix, *, users, seconds):
    groups, total = {}, None
    with open(f"{prefix}_stats.csv") as stats:
        for row in csv.DictReader(stats):
            figures = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "rps": round(float(row["Requests/s"] or 0), 1),
            }
            if row["Name"] == "Aggregated":
                total = figures
            else:
                groups[row["Name"]] = figures
    errors = defaultdict(int)
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with open(failures) as rows:
            for row in csv.DictReader(rows):
                errors[f"{row['Name']}: {row['Error']}"[:160]] += int(row["Occurrences"])
    return {"users": users, "seconds": seconds, "total": total, "groups": groups, "errors": dict(errors)}


def ledger_check(env):
    result = subprocess.run(
        [sys.executable, "manage.py", "ledger_check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    return {"ok": result.returncode == 0, "output": (result.stdout + result.stderr).strip()[-500:]}


def table(results):
    lines = ["| run | users | req/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|---:|"]
    for label, run in results["runs"]:
        t = run["total"] or {}
        lines.append(
            f"| {label} | {run['users']} | {t.get('rps')} | {t.get('p50_ms')} | {t.get('p95_ms')} | "
            f"{t.get('p99_ms')} | {t.get('failures')} |"
        )
    goal = results["goal"]
    lines += ["", f"Goal run ({goal['users']} users, {goal['seconds']} s), by page:", ""]
    lines += ["| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, g in sorted(goal["groups"].items()):
        lines.append(
            f"| {name} | {g['requests']} | {g['rps']} | {g['p50_ms']} | {g['p95_ms']} | {g['p99_ms']} | "
            f"{g['failures']} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--steps", default="20,40,80,120,160,200,240,280")
    parser.add_argument("--step-seconds", type=int, default=30)
    parser.add_argument("--goal-users", type=int, default=60)
    parser.add_argument("--goal-seconds", type=int, default=120)
    parser.add_argument("--people", type=int, default=40, help="signed-in buyers and sellers (each)")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    if not Path(HAPROXY).exists():
        raise SystemExit("make load needs haproxy (Debian: apt-get install haproxy; make load installs it as root)")
    started = time.monotonic()
    url = os.environ.get("LOAD_DATABASE_URL") or DEFAULT_DB
    redis_url = os.environ.get("LOAD_REDIS_URL") or DEFAULT_REDIS
    steps = [int(n) for n in args.steps.split(",") if n]
    log(f"Load run on {os.cpu_count()} cores, database {urlparse(url).path.lstrip('/')} (recreated)")
    # the nodes and this process sign sessions with the same key: the people signed in here are signed in there
    secret = os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    recreate_database(url)
    setup_django(url)
    from django.core.management import call_command

    from benchmarks.dataset import Builder

    call_command("migrate", verbosity=0)
    counts = Builder(scale=args.scale).build()
    log("  " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    sellers, buyers = active_people(args.people)
    runs = 2 + len(steps)  # goal, one node, each step
    plans = people(sellers=sellers, buyers=buyers, runs=runs)
    from django.db import connections

    connections.close_all()

    folder = Path(tempfile.mkdtemp(prefix="load-", dir=ROOT / "var" if (ROOT / "var").exists() else None))
    env = production_env(database_url=url, redis_url=redis_url, var_dir=folder, SECRET_KEY=secret)
    cluster = Cluster(folder, env)
    cluster.release()
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "scale": args.scale,
        "data_set": counts,
        "stack": "2 web nodes (gunicorn, 2 workers each) + 2 Celery workers + 1 beat behind haproxy, on loopback",
        "runs": [],
    }
    try:
        ports = cluster.up(nodes=2, workers=2)
        proxy = f"http://127.0.0.1:{ports['proxy']}"
        log(f"Goal run: {args.goal_users} users for {args.goal_seconds} s through the proxy...")
        goal = run_locust(
            host=proxy, users=args.goal_users, seconds=args.goal_seconds, plan=plans[0], folder=folder, name="goal"
        )
        results["goal"] = goal
        results["runs"].append(("two nodes, goal", goal))
        log(f"  {goal['total']}")
        knee, last = None, steps[0]
        for i, users in enumerate(steps):
            log(f"Step: {users} users for {args.step_seconds} s...")
            step = run_locust(
                host=proxy,
                users=users,
                seconds=args.step_seconds,
                plan=plans[2 + i],
                folder=folder,
                name=f"step-{users}",
            )
            results["runs"].append((f"two nodes, step {users}", step))
            log(f"  {step['total']}")
            last = users
            if step["total"] and step["total"]["p95_ms"] > 1000:
                knee = users
                break
        # one node alone at the heaviest load the two took: what the second node adds on this machine
        log(f"One node alone: {last} users for {args.step_seconds} s...")
        one = run_locust(
            host=f"http://127.0.0.1:{ports['a']}",
            users=last,
            seconds=args.step_seconds,
            plan=plans[1],
            folder=folder,
            name="one-node",
        )
        results["one_node"] = one
        results["runs"].append((f"one node, {last} users", one))
        log(f"  {one['total']}")
        results["knee_users"] = knee
    finally:
        cluster.stop_all()
    results["ledger_check"] = ledger_check(env)
    g, one_total = results["goal"]["total"], results["one_node"]["total"]
    one = {"users": results["one_node"]["users"], "rps": one_total["rps"]}
    two = next(run["total"] for label, run in results["runs"] if label == f"two nodes, step {one['users']}")
    results["goals"] = [
        {
            "what": f"{args.goal_users} users for {args.goal_seconds} s: errors, p95, ledger_check",
            "value": f"{g['failures']} errors, p95 {g['p95_ms']} ms, ledger_check "
            f"{'clean' if results['ledger_check']['ok'] else 'BROKEN'}",
            "goal": "0 errors, p95 < 500 ms, clean",
            "ok": g["failures"] == 0 and g["p95_ms"] < 500 and results["ledger_check"]["ok"],
        },
        {
            "what": "the knee (p95 passes 1 s)",
            "value": f"{results['knee_users']} users" if results["knee_users"] else f"not reached by {steps[-1]}",
            "goal": "≥ 120 users",
            "ok": results["knee_users"] is None or results["knee_users"] >= 120,
        },
        {
            "what": f"two nodes ÷ one node at {one['users']} users: requests per second (p95)",
            "value": f"{two['rps']} / {one['rps']} = {round(two['rps'] / one['rps'], 2) if one['rps'] else '—'}× "
            f"(p95 {two['p95_ms']} / {one_total['p95_ms']} ms)",
            "goal": "≥ 1.7× where the machine has the cores",
            "ok": None,
        },
    ]
    results["total_seconds"] = round(time.monotonic() - started)
    Path(args.output).write_text(json.dumps(results, indent=2, default=str) + "\n")
    log("")
    log(table(results))
    log("")
    for goal in results["goals"]:
        verdict = {True: "met", False: "MISSED", None: "—"}[goal["ok"]]
        log(f"- {goal['what']}: {goal['value']} (goal {goal['goal']}): {verdict}")
    log(f"\nWritten to {args.output} in {results['total_seconds']} s.")


if __name__ == "__main__":
    main()
