"""A small deployment on loopback: web nodes (``scripts/serve.sh web``), workers, exactly one beat, and Debian's
haproxy in front, each a process group that can be stopped. Used by the two-node test
(``tests/deploy/test_two_nodes.py``) and by ``make load`` (``benchmarks/load.py``).
"""

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

PROXY_CONFIG = """
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 30s
    retries 3
    option redispatch 1
frontend site
    bind 127.0.0.1:{proxy}
    default_backend nodes
backend nodes
    balance {balance}
    option httpchk GET /healthz
    http-check send hdr Host 127.0.0.1
    default-server inter 500ms fall 2 rise 2
{servers}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(port, path="/healthz", timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def production_env(*, database_url, redis_url, var_dir, **extra):
    """The environment ``scripts/serve.sh`` runs with in production, pointed at these services."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        PYTHON=sys.executable,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_QUEUE=f"nodes-{uuid.uuid4().hex[:8]}",
        VAR_DIR=str(var_dir / "var"),
        STATIC_ROOT=str(var_dir / "static"),
        MEDIA_ROOT=str(var_dir / "media"),
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def poll_until(predicate, timeout, *, still_running=lambda: True) -> bool:
    """Ask ``predicate`` every 0.3 s (a refused connection counts as "not yet") until it is true (True), the time
    is up or ``still_running()`` says what it waits on has stopped (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and still_running():
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def stop_group(process, sig=signal.SIGTERM, timeout=30):
    """Signal ``process`` and everything it started (its process group: ``start_new_session=True``), wait for it,
    then kill whatever of the group is left, so nothing it forked (a worker's embedded beat) outlives it."""
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)


class Cluster:
    """The processes of a small deployment, each a process group that can be stopped."""

    def __init__(self, folder: Path, env: dict):
        self.folder, self.env, self.processes = folder, env, {}
        self.ports: dict[str, int] = {}

    def start(self, name, command, **extra):
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **{k: str(v) for k, v in extra.items()}},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def stop(self, name):
        stop_group(self.processes[name])

    def stop_all(self):
        for name in reversed(list(self.processes)):
            self.stop(name)

    def logs(self):
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-2500:]}" for p in sorted(self.folder.glob("*.log")) if p.stat().st_size
        )

    def wait_for(self, predicate, timeout, what):
        if not poll_until(predicate, timeout):
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}\n{self.logs()}")

    def release(self):
        subprocess.run(["scripts/serve.sh", "release"], cwd=ROOT, env=self.env, check=True, capture_output=True)

    def up(self, *, nodes=2, workers=2, web_concurrency=2, balance="roundrobin"):
        """``nodes`` web nodes, ``workers`` workers, one beat and the proxy; waits until each answers."""
        names = [chr(ord("a") + i) for i in range(nodes)]
        self.ports = {name: free_port() for name in names} | {"proxy": free_port()}
        servers = "\n".join(f"    server {name} 127.0.0.1:{self.ports[name]} check" for name in names)
        config = self.folder / "haproxy.cfg"
        config.write_text(PROXY_CONFIG.format(proxy=self.ports["proxy"], balance=balance, servers=servers))
        for name in names:
            self.start(
                f"web-{name}",
                ["scripts/serve.sh", "web"],
                BIND=f"127.0.0.1:{self.ports[name]}",
                WEB_CONCURRENCY=web_concurrency,
            )
        for n in range(1, workers + 1):
            self.start(f"worker-{n}", ["scripts/serve.sh", "worker"])
        self.start("beat", ["scripts/serve.sh", "beat"])
        self.start("proxy", [HAPROXY, "-f", str(config), "-db"])
        for name, port in self.ports.items():
            self.wait_for(lambda port=port: status_of(port) == 200, 90, f"{name} on port {port}")
        return self.ports
