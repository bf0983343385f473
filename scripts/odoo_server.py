"""Start and stop a real Odoo server on a free port: the one starter of the
benchmarks (``bench_common.odoo_server``, ``bench_print.py``) and of the
live-server tests (``tests/conftest.py``). Standard library only, so that
tests load it by path without Odoo.
"""

import contextlib
import os
import socket
import subprocess
import time
import urllib.request

HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """The server did not start (its log says why)."""


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A running server: ``port``, ``proc`` (its process), ``log_path``."""

    def __init__(self, proc, port, log_path, log):
        self.proc = proc
        self.port = port
        self.log_path = log_path
        self._log = log

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def stop(self, timeout=30):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def start(
    python,
    odoo_src,
    conf,
    db,
    *,
    port=None,
    workers=2,
    log_name="odoo",
    timeout=120,
    warm_paths=(),
):
    """Start ``odoo-bin`` on ``db`` (only that database, no cron) and return
    a :class:`Server` once ``/web/health`` answers; each of ``warm_paths``
    is then fetched once, in order. Raises :class:`ServerError` (the server
    stopped) when it dies or does not answer within ``timeout`` seconds."""
    port = port or free_port()
    log_path = os.path.join(
        os.environ.get("TMPDIR", "/tmp"), f"{log_name}-{db}-{port}.log"
    )
    log = open(log_path, "w")  # closed by Server.stop
    proc = subprocess.Popen(
        [
            python,
            os.path.join(odoo_src, "odoo-bin"),
            "-c",
            conf,
            "-d",
            db,
            f"--db-filter=^{db}$",
            f"--http-interface={HOST}",
            f"--http-port={port}",
            f"--workers={workers}",
            "--max-cron-threads=0",
            "--log-level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(proc, port, log_path, log)
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/web/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            server.stop()
            raise ServerError(f"Odoo did not start on port {port} (see {log_path})")
        time.sleep(0.5)
    for path in warm_paths:
        with urllib.request.urlopen(f"{server.url}{path}", timeout=30):
            pass
    return server


@contextlib.contextmanager
def running(*args, **kwargs):
    """:func:`start` as a context manager: yields the :class:`Server` and
    stops it on exit."""
    server = start(*args, **kwargs)
    try:
        yield server
    finally:
        server.stop()
