"""Serving an app with gunicorn and loading it from loopback (``wrk`` when installed, else a
bounded Python client): bounded in time and in requests, 127.0.0.1 only."""
from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HOST = "127.0.0.1"
#: gunicorn settings shared by every app of a comparison.
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "2",
                 "--log-level", "warning", "--keep-alive", "30"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(factory: str, env: dict, args=GUNICORN_ARGS):
    """Serve ``factory`` (``module:function()``) on a free loopback port; yields its base URL."""
    port = free_port()
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn_bin), *args, "--bind", f"{HOST}:{port}", factory],
        env={**os.environ, **env}, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {factory} exited with {process.returncode}")
            try:
                with socket.create_connection((HOST, port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {factory} did not start") from None
                time.sleep(0.2)
        yield f"http://{HOST}:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # our own process group only
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def load(url: str, cookie: str, seconds: float, connections: int = 4) -> float:
    """Requests per second of GET ``url`` for ``seconds`` (every answer must be 200)."""
    if have_wrk():
        return _wrk(url, cookie, seconds, connections)
    return _python_load(url, cookie, seconds, connections)


def _wrk(url: str, cookie: str, seconds: float, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
         "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _python_load(url: str, cookie: str, seconds: float, connections: int) -> float:
    """Fallback client: ``connections`` threads, keep-alive, bounded by time and count."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    assert parts.hostname == HOST
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    counts = [0] * connections
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, parts.port, timeout=10)
        try:
            for _ in range(1_000_000):  # bounded
                if time.monotonic() >= stop:
                    break
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(f"{response.status}")
                    break
                counts[i] += 1
        finally:
            conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"client saw errors on {url}: {errors[:3]}")
    return sum(counts) / (time.monotonic() - started)
