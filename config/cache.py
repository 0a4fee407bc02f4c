"""The cache: Django's Redis cache, except that a Redis outage degrades it instead of breaking pages.

Login, sign-up and password-reset rate limits (allauth) are the cache's main users. With Redis stopped,
Django's backend raises ``redis.exceptions.ConnectionError`` into the view (HTTP 500 on every login);
frozen, it waits on the socket. This backend gives each call short connect and read timeouts
(``OPTIONS``, from ``CACHE_SOCKET_TIMEOUT``), turns a Redis error into a miss (reads return the default,
writes are dropped, ``add`` succeeds as Django's dummy cache does, so allauth's lock never spins), logs
it once, and skips Redis for ``REDIS_RETRY_AFTER`` seconds after a failure (``config.outages.Breaker``).
Rate limits therefore fail open while Redis is away, and the log says so.
"""

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from .outages import Breaker

# One breaker per Redis address and process (Django makes a backend object per thread).
_breakers = {}


def cache_breaker(location):
    if location not in _breakers:
        _breakers[location] = Breaker(
            "Redis cache",
            consequence=(
                "cache reads miss and writes are dropped; login, sign-up and password-reset rate limits "
                "are not enforced (failing open) until it answers"
            ),
        )
    return _breakers[location]


def forget_failures():
    for breaker in _breakers.values():
        breaker.reset()


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self.breaker = cache_breaker(",".join(self._servers))

    def _run(self, fallback, operation, *args):
        if not self.breaker.allows():
            return fallback
        try:
            result = operation(*args)
        except redis.RedisError as error:
            self.breaker.failed(error)
            return fallback
        self.breaker.succeeded()
        return result

    @property
    def url(self):
        """The Redis this cache writes to (the health check pings it)."""
        return self._servers[0]

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._run(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._run(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._run({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._run(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._run(missing, super().incr, key, delta, version)
        if result is missing:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._run(None, super().delete_many, keys, version)

    def clear(self):
        return self._run(False, super().clear)
