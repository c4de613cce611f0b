"""The web page served by uvicorn in a thread of the coordinator's process (`web: HOST:PORT` in its
configuration): HTTPS with the coordinator's own certificate when it has one."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn

from ..errors import ConversionError
from ..tls import TLSFiles
from .api import web_app

START_SECONDS = 10.0


@contextlib.contextmanager
def serving_web(listen: str, conversion_address: str, tls: TLSFiles) -> Iterator[None]:
    """The page on `listen` while the block runs, its endpoints calling the conversion service at
    `conversion_address`."""
    host, _, port = listen.rpartition(":")
    config = uvicorn.Config(
        web_app(conversion_address),
        host=host.strip("[]"),
        port=int(port),
        log_level="warning",
        ssl_certfile=str(tls.cert) if tls.cert else None,
        ssl_keyfile=str(tls.key) if tls.key else None,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConversionError(f"web {listen}: cannot serve the page there (in use by another process?)")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)
