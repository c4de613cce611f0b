"""`nwbstream serve MODALITY ...` as a real process, for the tests of what a service does with its options (TLS,
metrics): started, waited for until it says it listens, stopped on exit."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command(modality: str, *options: str) -> list[str]:
    return [sys.executable, "-m", "nwbstream.coordinator.cli", "serve", modality, *options]


@contextlib.contextmanager
def serving(modality: str, *options: str) -> Iterator[str]:
    """The service listening on 127.0.0.1 (a free port unless `options` give one); yields its host:port."""
    if "--port" not in options:
        options = ("--port", str(free_port()), *options)
    port = options[options.index("--port") + 1]
    process = subprocess.Popen(serve_command(modality, *options), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = process.stdout.readline().decode()
        if "listening on" not in line:
            process.wait(timeout=30)
            raise RuntimeError(f"the {modality} service did not start: {process.stderr.read().decode()}")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()
        process.stderr.close()
