"""The embedded engine as a child process (`python -m es360.embedded`) that a test can kill -9 and restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EngineProcess:
    """One engine on a fixed data directory and port, so a restart is the same cluster at the same URL."""

    def __init__(self, data: Path, port: int | None = None) -> None:
        self.data = data
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"{data.name}-engine.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 120.0) -> EngineProcess:
        """Start the engine (reloading what its data directory holds) and wait until it answers."""
        self.data.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:  # a file, not a pipe: a full pipe would block the engine
            self.proc = subprocess.Popen([sys.executable, "-m", "es360.embedded", "--port", str(self.port),
                                          "--data", str(self.data)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1)
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    tail = self.log.read_text(errors="replace")[-500:]
                    raise RuntimeError(f"the engine exited during start-up: {tail}") from None
                time.sleep(0.05)
                continue
            if self.proc.poll() is None:
                return self
            raise RuntimeError(f"another engine answers on {self.url}; the one just started exited")
        self.kill()
        raise RuntimeError(f"the engine did not answer within {timeout_s:.0f} s")

    def kill(self) -> None:
        """kill -9: no shutdown hook runs; only what the engine already made durable survives."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
