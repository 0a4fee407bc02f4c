"""A Redis server of the test's own, on a free loopback port, that the test may stop and freeze.

The machine's Redis (and CI's) is shared with everything else: a test never stops or freezes that one.
"""

import os
import signal
import socket
import subprocess
import time

import redis

from config.celery import app as celery_app


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """``stop()`` kills the process (an outage), ``freeze()`` SIGSTOPs it (it accepts connections and never
    answers), ``thaw()`` SIGCONTs it, ``start()`` starts it again on the same port (empty: nothing persisted)."""

    def __init__(self, binary, folder):
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.frozen = False

    def start(self, timeout=10):
        log = open(self.folder / f"redis-{self.port}.log", "a")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def ping(self):
        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def client(self):
        return redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)

    def stop(self):
        """Killed: connections are refused until ``start()``."""
        self.thaw()
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        if self.frozen and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = False


def point_broker_at(url):
    """This process publishes to ``url`` from now on, as after a restart: no pooled connection, no memory
    of an earlier broker failure."""
    from config.celery import broker_breaker

    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url
    broker_breaker.reset()
