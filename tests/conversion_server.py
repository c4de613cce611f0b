"""A conversion service for the tests: its configuration written to a folder, and `nwbstream serve coordinator` run
as a real process on loopback, stopped (or killed) by the test."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CLI = [sys.executable, "-m", "nwbstream.coordinator.cli"]
TOKENS = {"lab-a": "token-of-lab-a", "lab-b": "token-of-lab-b"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(folder: Path, roots: dict[str, Path], store: str | None = None, **extra: Any) -> Path:
    """A configuration for labs `roots` (lab -> data root, tokens from TOKENS), a SQLite store in `folder` unless
    `store` is given, outputs in `folder`/outputs; `extra` keys override."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "listen": f"127.0.0.1:{free_port()}",
        "store": store or f"sqlite:///{folder / 'jobs.db'}",
        "outputs": str(folder / "outputs"),
        "labs": {
            lab: {"token_sha256": hashlib.sha256(TOKENS[lab].encode()).hexdigest(), "data_root": str(root)}
            for lab, root in roots.items()
        },
        "lease_seconds": 3,
        "retry": {"attempts": 2, "backoff_seconds": 0.5},
        **extra,
    }
    path = folder / f"coordinator-{config['listen'].rsplit(':', 1)[1]}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass
class RunningServer:
    config: Path
    address: str
    process: subprocess.Popen
    log: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def serving(config: Path, timeout: float = 120) -> Iterator[RunningServer]:
    """`nwbstream serve coordinator --config CONFIG`, answering; stopped with SIGTERM at the end."""
    address = yaml.safe_load(config.read_text())["listen"]
    log = config.with_suffix(f".{time.monotonic_ns()}.log")
    with open(log, "w") as out:
        process = subprocess.Popen(
            [*CLI, "serve", "coordinator", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = RunningServer(config, address, process, log)
    try:
        deadline = time.monotonic() + timeout
        while "listening on" not in server.log_text():
            if process.poll() is not None:
                raise RuntimeError(f"the coordinator exited ({process.returncode}): {server.log_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the coordinator did not start in {timeout} s: {server.log_text()}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()
