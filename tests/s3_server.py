"""A real S3 API on a free loopback port: moto's standalone server (``moto_server``, from the dev lock), started
once per test process. The tests talk to it with the real boto3 calls django-storages makes; nothing of boto3 is
mocked."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .redis_server import free_port


class S3Server:
    def __init__(self, folder):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        self.process = None

    def start(self, timeout=30):
        # the project's own (the dev lock's moto), before any other on the PATH
        own = Path(sys.executable).parent / "moto_server"
        binary = str(own) if own.exists() else shutil.which("moto_server")
        log = open(self.folder / f"moto-{self.port}.log", "a")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1)  # noqa: S310 - loopback
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto_server did not start on {self.url} (see {self.folder})")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto takes any key
        )
