"""Milestone approvals per second through the service layer, with concurrent worker processes.

Each worker process gets its own database connection and its own share of
delivered milestones (whole orders, so two workers never queue on one
order's lock; they still share the platform revenue account and, often, a
seller's accounts, as real traffic does) and calls
``milestones.services.milestone_approve`` as the buyer, like the approve
button does, until its share is done or the time is up.
"""

import multiprocessing
import time


def _work(milestones, deadline, start_at, results):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections

    from milestones.services import milestone_approve

    users = get_user_model().objects.in_bulk({buyer_id for _mid, buyer_id in milestones})
    while time.time() < start_at:
        time.sleep(0.001)
    done = errors = 0
    first = time.perf_counter()
    for milestone_id, buyer_id in milestones:
        if time.time() >= deadline:
            break
        try:
            milestone_approve(milestone_id=milestone_id, actor=users[buyer_id], expected_state="delivered")
            done += 1
        except Exception:  # noqa: BLE001 - counted and reported
            errors += 1
    results.put((done, errors, time.perf_counter() - first))
    connections.close_all()


def measure(*, workers, seconds, pool):
    """``pool``: [(milestone_id, buyer_id, order_id)]; returns approvals per second and details."""
    from django.db import connections

    by_order = {}
    for milestone_id, buyer_id, order_id in pool:
        by_order.setdefault(order_id, []).append((milestone_id, buyer_id))
    shares = [[] for _ in range(workers)]
    for i, items in enumerate(by_order.values()):
        shares[i % workers].extend(items)
    connections.close_all()  # never share a connection with forked children
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    start_at = time.time() + 2.0
    deadline = start_at + seconds
    processes = [ctx.Process(target=_work, args=(share, deadline, start_at, results)) for share in shares]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join(30)
    done = sum(o[0] for o in outcomes)
    errors = sum(o[1] for o in outcomes)
    elapsed = max(o[2] for o in outcomes)
    return {
        "workers": workers,
        "approved": done,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "per_second": round(done / elapsed, 1) if elapsed else 0,
        "pool": len(pool),
    }
