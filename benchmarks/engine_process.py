"""The embedded engine as a separate process on a free port, shared by the benchmark scripts."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_engine(data: Path, timeout_s: float = 600.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start `python -m es360.embedded` on `data` (reloading what it holds) and wait until it answers."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "es360.embedded", "--port", str(port), "--data", str(data)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit("the engine exited during start-up") from None
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the engine did not start within {timeout_s:.0f} s")


def stop_engine(proc: subprocess.Popen[bytes]) -> None:
    """Stop the engine, killing it if it does not exit within a minute."""
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
