"""Run actions at the same moment in threads, as two browsers would (PostgreSQL tests)."""

import threading

from django.db import connections

from milestones.exceptions import OrderError


def race(*actions):
    """Each result is "ok" or the OrderError the action raised; every thread closes its connection."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(i, action):
        try:
            barrier.wait()
            action()
            results[i] = "ok"
        except OrderError as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results
