"""The cache and the broker in a Redis outage: short timeouts, a failure is a miss, one warning, no waiting twice.

Each test runs the production configuration (``production_redis``: ``REDIS_CACHE`` and the broker's
transport options, a failed Redis left alone for 1 s) against a Redis of its own that it stops or freezes.
"""

import logging
import time

import pytest
from django.conf import settings
from django.core.cache import cache

from accounts.tasks import send_notification_email
from config.celery import enqueue

pytestmark = pytest.mark.redis


def timed(call, *args):
    started = time.monotonic()
    result = call(*args)
    return result, time.monotonic() - started


def outage_warnings(caplog, name):
    return [r for r in caplog.records if r.name == "config.outages" and r.getMessage().startswith(name)]


def test_the_cache_works_on_redis_when_it_answers(production_redis):
    cache.set("greeting", "hello", 60)
    assert cache.get("greeting") == "hello"
    assert cache.add("greeting", "again") is False
    assert cache.add("counter", 1) is True
    assert cache.incr("counter") == 2
    assert production_redis.client().dbsize() >= 2


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_a_redis_outage_makes_the_cache_miss_instead_of_failing(production_redis, outage, caplog):
    cache.set("greeting", "hello", 60)
    production_redis.stop() if outage == "stopped" else production_redis.freeze()

    value, took = timed(cache.get, "greeting", "default")
    assert value == "default"
    assert took < 2 * settings.CACHE_SOCKET_TIMEOUT + 0.3
    # Within REDIS_RETRY_AFTER nobody waits on Redis again; every call answers as a miss at once.
    started = time.monotonic()
    assert cache.get("greeting") is None
    assert cache.add("lock", True, 10) is True  # allauth's rate-limit lock: taken, so its check never spins
    assert cache.set("greeting", "bye", 60) is None
    assert cache.get_many(["greeting", "other"]) == {}
    assert cache.delete("greeting") is False
    assert cache.has_key("greeting") is False
    assert cache.set_many({"a": 1}) == ["a"]
    with pytest.raises(ValueError, match="unreachable"):
        cache.incr("counter")
    assert time.monotonic() - started < 0.1
    warnings = outage_warnings(caplog, "Redis cache unreachable")
    assert len(warnings) == 1 and "rate limits are not enforced" in warnings[0].getMessage()


def test_the_cache_tries_redis_again_after_the_pause_and_says_when_it_is_back(production_redis, caplog):
    caplog.set_level(logging.INFO)
    production_redis.freeze()
    assert cache.get("greeting") is None
    time.sleep(1.1)
    _value, took = timed(cache.get, "greeting")
    assert took >= settings.CACHE_SOCKET_TIMEOUT * 0.9  # tried (and waited) again
    assert len(outage_warnings(caplog, "Redis cache unreachable")) == 1  # not a line per failure
    production_redis.thaw()
    time.sleep(1.1)
    cache.set("greeting", "hello", 60)
    assert cache.get("greeting") == "hello"
    assert len(outage_warnings(caplog, "Redis cache answers again")) == 1


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_a_publish_to_a_dead_or_frozen_broker_costs_one_request_a_bounded_wait_once(production_redis, outage, caplog):
    assert enqueue(send_notification_email, 0) is not None  # a pooled connection, as a running web node has
    production_redis.stop() if outage == "stopped" else production_redis.freeze()

    result, took = timed(enqueue, send_notification_email, 0)
    assert result is None
    assert took < 2 * settings.BROKER_SOCKET_TIMEOUT + 0.5
    result, took = timed(enqueue, send_notification_email, 0)  # skipped: the broker failed moments ago
    assert result is None and took < 0.05
    time.sleep(1.1)
    result, took = timed(enqueue, send_notification_email, 0)  # tried again, still bounded
    assert result is None and took < 2 * settings.BROKER_SOCKET_TIMEOUT + 0.5
    assert len(outage_warnings(caplog, "Celery broker unreachable")) == 1

    production_redis.thaw() if outage == "frozen" else production_redis.start()
    time.sleep(1.1)
    assert enqueue(send_notification_email, 0) is not None
