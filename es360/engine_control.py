"""Start, stop and inspect the embedded engine as a background process bound to 127.0.0.1."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from es360.errors import Es360Error

START_TIMEOUT_S = 60.0


@dataclass
class EngineStatus:
    """Where the engine of a data directory stands."""

    running: bool
    data_dir: Path
    url: str | None = None
    pid: int | None = None
    version: str | None = None
    indices: int | None = None
    docs: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"running": self.running, "data_dir": str(self.data_dir), "url": self.url, "pid": self.pid,
                "version": self.version, "indices": self.indices, "docs": self.docs}


def _read_info(data_dir: Path) -> dict[str, Any] | None:
    path = data_dir / "engine.json"
    try:
        return orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def engine_status(data_dir: Path) -> EngineStatus:
    """Running state of the engine owning `data_dir`, with index and doc counts when reachable."""
    info = _read_info(data_dir)
    if info is None or not _alive(int(info.get("pid", -1))):
        return EngineStatus(False, data_dir)
    url = info["url"]
    verify: ssl.SSLContext | bool = True
    if info.get("tls_cert"):  # our own engine's self-signed certificate is its own CA
        try:
            verify = ssl.create_default_context(cafile=info["tls_cert"])
        except (OSError, ssl.SSLError):
            return EngineStatus(False, data_dir, url=url, pid=info["pid"])
    try:
        first = httpx.get(url, timeout=2.0, verify=verify)
        if first.status_code == 401:  # security mode: alive, but counts need credentials
            return EngineStatus(True, data_dir, url, info["pid"])
        root = first.json()
        rows = httpx.get(f"{url}/_cat/indices", params={"format": "json"}, timeout=5.0, verify=verify).json()
    except (httpx.HTTPError, ValueError, OSError):
        return EngineStatus(False, data_dir, url=url, pid=info["pid"])
    docs = sum(int(r.get("docs.count") or 0) for r in rows)
    return EngineStatus(True, data_dir, url, info["pid"], root["version"]["number"], len(rows), docs)


PASSWORD_ENV = "ES360_ENGINE_ELASTIC_PASSWORD"


def start_engine(data_dir: Path, port: int, *, security: bool = False, tls_cert: Path | None = None,
                 tls_key: Path | None = None) -> EngineStatus:
    """Start the engine in the background (or return the one already running on `data_dir`).

    `security`: authentication and roles on (the `elastic` password comes from $ES360_ENGINE_ELASTIC_PASSWORD);
    `tls_cert`/`tls_key`: serve HTTPS.
    """
    status = engine_status(data_dir)
    if status.running:
        return status
    if security and not os.environ.get(PASSWORD_ENV):
        raise Es360Error(f"Security mode needs the password of the built-in superuser [elastic] in ${PASSWORD_ENV}.")
    if (tls_cert is None) != (tls_key is None):
        raise Es360Error("HTTPS needs both --tls-cert and --tls-key.")
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise Es360Error(f"TLS file {path} does not exist.")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "engine.log"
    command = [sys.executable, "-m", "es360.embedded", "--port", str(port), "--data", str(data_dir)]
    if security:
        command.append("--security")
    if tls_cert is not None and tls_key is not None:
        command += ["--tls-cert", str(tls_cert.resolve()), "--tls-key", str(tls_key.resolve())]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            raise Es360Error(f"The embedded engine exited at start (code {code}): {_last_line(log_path)}")
        status = engine_status(data_dir)
        if status.running and status.pid == proc.pid:
            return status
        time.sleep(0.1)
    proc.terminate()
    raise Es360Error(f"The embedded engine did not answer within {START_TIMEOUT_S:.0f}s; see {log_path}.")


def ensure_engine(data_dir: Path, port: int) -> EngineStatus:
    """The running engine for `data_dir`, started on first use."""
    return start_engine(data_dir, port)


def stop_engine(data_dir: Path, timeout: float = 15.0) -> bool:
    """Stop the engine of `data_dir`; False if none was running."""
    info = _read_info(data_dir)
    if info is None or not _alive(int(info.get("pid", -1))):
        (data_dir / "engine.json").unlink(missing_ok=True)
        return False
    pid = int(info["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except FileNotFoundError:
        return "no log"
    return lines[-1] if lines else "no output"
