"""The project's URLs plus two baselines that exist only when benchmarking.

- ``/bench/baseline``: one trivial query (``SELECT 1``) and a tiny response,
  through the same middleware as every page: the floor of any request.
- ``/bench/frame``: the site's page frame (``base.html`` with its context
  processors) around an empty body, plus the same trivial query: the floor
  of any *page*.
"""

from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads them here
from config.urls import urlpatterns as project_urlpatterns


def _trivial_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def baseline(request):
    _trivial_query()
    return HttpResponse("ok\n", content_type="text/plain")


def frame(request):
    _trivial_query()
    return render(request, "benchmarks/frame.html")


urlpatterns = [
    path("bench/baseline", baseline, name="bench_baseline"),
    path("bench/frame", frame, name="bench_frame"),
    *project_urlpatterns,
]
