"""`es360 engine start|status|stop` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import free_port


def run_cli(args: list[str], home: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ES360_HOME": str(home), "ES360_ENGINE_PORT": str(port)}
    env.pop("ES360_ES_URL", None)
    return subprocess.run([sys.executable, "-m", "es360.cli", *args], capture_output=True, text=True, env=env,
                          timeout=90)



def test_engine_lifecycle(tmp_path: Path) -> None:
    port = free_port()
    stopped = run_cli(["engine", "status", "--json"], tmp_path, port)
    assert stopped.returncode == 3
    assert json.loads(stopped.stdout)["running"] is False

    started = run_cli(["engine", "start", "--json"], tmp_path, port)
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert info["running"] is True and info["url"] == f"http://127.0.0.1:{port}"
    try:
        again = run_cli(["engine", "start", "--json"], tmp_path, port)
        assert json.loads(again.stdout)["pid"] == info["pid"]  # reused, not a second engine
        status = run_cli(["engine", "status"], tmp_path, port)
        assert status.returncode == 0 and "running" in status.stdout
    finally:
        result = run_cli(["engine", "stop"], tmp_path, port)
    assert result.returncode == 0 and "stopped" in result.stdout
    assert run_cli(["engine", "status"], tmp_path, port).returncode == 3


def test_bad_port_setting_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "ES360_HOME": str(tmp_path), "ES360_ENGINE_PORT": "ninety"}
    result = subprocess.run([sys.executable, "-m", "es360.cli", "engine", "status"], capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "ES360_ENGINE_PORT must be a port number" in result.stderr
    assert "Traceback" not in result.stderr
