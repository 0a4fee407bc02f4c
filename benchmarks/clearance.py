"""Run the clearance sweep once over the bench database and report seconds and peak memory (as JSON).

Run in a subprocess of its own (``python -m benchmarks.clearance``) so that
its peak resident memory is the sweep's, not the benchmark runner's.
"""

import json
import os
import sys
import time


def status_mb(field):
    """VmRSS (now) or VmHWM (peak) of this process. Not ``ru_maxrss``: on Linux it survives the exec of
    a forked child, so it would report the benchmark runner's peak, not this process's."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    from django.conf import settings

    from config import clock
    from payments.models import Earning, EarningStatus
    from payments.services import earnings_clear

    due = Earning.objects.filter(status=EarningStatus.PENDING, on_hold=False, clears_at__lte=clock.now()).count()
    before = status_mb("VmRSS")
    started = time.perf_counter()
    cleared = earnings_clear()
    seconds = time.perf_counter() - started
    peak = status_mb("VmHWM")
    again = earnings_clear()
    json.dump(
        {
            "due": due,
            "cleared": cleared,
            "cleared_by_second_run": again,
            "seconds": round(seconds, 2),
            "per_second": round(cleared / seconds) if seconds else None,
            "peak_rss_mb": round(peak, 1),
            "rss_before_mb": round(before, 1),
            "batch_size": getattr(settings, "PAYMENTS_CLEARANCE_BATCH_SIZE", 1000),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
