"""`nwbstream serve coordinator --config FILE`: the conversion service, until SIGTERM or SIGINT.

One process: the gRPC ConversionService, the workers that run the jobs this replica claims, the embedded modality
services (those the configuration does not place elsewhere), the Prometheus endpoint and the web page when
configured. The page calls the gRPC service through a private Unix socket, in plaintext, so that it keeps the same
rules whatever the public listen address, its TLS and its client certificates.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import tempfile
import threading
from collections.abc import Collection, Iterator
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from nwbstream.v1 import conversion_pb2_grpc as pb_grpc
from nwbstream.v1.transport import GRPC_OPTIONS

from ..errors import ConversionError
from ..services import ServiceSet, installed_services
from ..web.serve import serving_web
from .config import ServerConfig, load_config
from .logs import configure_json_logging
from .metrics import ConversionMetrics, start_metrics_server
from .outputs import open_outputs
from .runner import Runner, ServicesFor, executor_for
from .servicer import ConversionServicer
from .store import open_store

log = logging.getLogger(__name__)
JOB_SERVICE_TIMEOUT = 10.0  # a service that does not answer in this long: the job is retried later
SERVICE_NAME = "nwbstream.v1.ConversionService"  # what a gRPC health probe asks for
SIGNAL_POLL_SECONDS = 0.5  # Python handles signals in the main thread: how late it may see one taken by another


def serve(config_path: Path) -> int:
    config = load_config(config_path)
    configure_json_logging()
    with running(config) as address:
        page = f", web page on {'https' if config.tls.enabled else 'http'}://{config.web}/" if config.web else ""
        print(f"nwbstream coordinator listening on {address} (replica {config.replica}){page}", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(SIGNAL_POLL_SECONDS):  # a wait without timeout misses a signal another thread took
            pass
        print("nwbstream coordinator: stopping; running jobs go back to the queue", file=sys.stderr, flush=True)
    return 0


@contextlib.contextmanager
def running(config: ServerConfig) -> Iterator[str]:
    """The conversion service, serving while the block runs; yields the address it listens on."""
    store = open_store(config.store)
    try:
        outputs = open_outputs(config.outputs, config.staging)
        metrics = ConversionMetrics(store.counts)
        if config.metrics:
            start_metrics_server(metrics, config.metrics, config.tls)
        with job_services(config, metrics) as services_for:
            runner = Runner(config, store, executor_for(config, outputs, services_for), metrics)
            with tempfile.TemporaryDirectory(prefix="nwbstream-") as private:
                page_address = f"unix:{private}/conversion.sock" if config.web else None
                server = _grpc_server(config, ConversionServicer(config, store, outputs, services_for), page_address)
                runner.start()
                try:
                    with _web_page(config, page_address):
                        yield config.listen
                finally:
                    server.stop(grace=2).wait()
                    runner.stop()
    finally:
        store.close()


@contextlib.contextmanager
def job_services(config: ServerConfig, metrics: ConversionMetrics) -> Iterator[ServicesFor]:
    """`services_for(interface names)`, a job's connected ServiceSet: the configured services, and embedded ones
    (started here, stopped at the end) for the modalities the configuration does not place elsewhere."""
    embedded = set(installed_services()) - set(config.services)
    with ServiceSet(addresses={}, embedded=embedded, patience=config.patience) as local:

        def services_for(needs: Collection[str] | None) -> ServiceSet:
            local.revive()
            return ServiceSet(
                addresses={**local.addresses, **config.services},
                needs=needs,
                start_timeout=JOB_SERVICE_TIMEOUT,
                embedded=(),
                tls=config.services_tls,
                on_chunk=metrics.observe_chunk,
                patience=config.patience,
                starter=local,
            )

        yield services_for


def _web_page(config: ServerConfig, address: str | None) -> contextlib.AbstractContextManager:
    """The web page when the configuration asks for one, calling the gRPC server at `address`."""
    return serving_web(config.web, address, config.tls) if config.web and address else contextlib.nullcontext()


def _grpc_server(config: ServerConfig, servicer: ConversionServicer, private: str | None) -> grpc.Server:
    # Messages up to a chunk's size (an upload's manifest lists every file); a spec's size is checked on its own.
    options = [*GRPC_OPTIONS, ("grpc.so_reuseport", 0)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=options)
    pb_grpc.add_ConversionServiceServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    try:
        if config.tls.enabled:
            server.add_secure_port(config.listen, config.tls.server_credentials())
        else:
            server.add_insecure_port(config.listen)
    except RuntimeError as error:
        raise ConversionError(f"{config.listen}: cannot listen there (in use by another process?): {error}") from None
    if private:
        server.add_insecure_port(private)
    server.start()
    return server
