"""Runs a modality service: gRPC server, health service, message limits raised to fit one chunk.

It serves plaintext on loopback and unix sockets only; any other address needs TLS (`--tls-cert`/`--tls-key`,
and `--tls-client-ca` to require the coordinator's certificate: mutual TLS). `--metrics HOST:PORT` exposes its
Prometheus metrics (metrics.py) over HTTP, or HTTPS with the same certificate when it serves TLS.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from nwbstream.v1 import modality_pb2_grpc as pb_grpc
from nwbstream.v1.transport import GRPC_OPTIONS, SERVER_KEEPALIVE_OPTIONS, is_loopback, server_credentials

from .interface import BaseDataInterface
from .metrics import ServiceMetrics, serve_metrics
from .servicer import ModalityServicer

SERVICE_NAME = "nwbstream.v1.ModalityService"
SIGNAL_POLL_SECONDS = 0.5


class PlaintextRefused(ValueError):
    """Plaintext asked for on an address other machines can reach."""


def start_server(
    modality: str,
    interfaces: Sequence[type[BaseDataInterface]],
    address: str,
    encode_threads: int = 0,
    credentials: grpc.ServerCredentials | None = None,
    metrics: ServiceMetrics | None = None,
) -> tuple[grpc.Server, ModalityServicer, int]:
    """Starts serving on `address` (host:port, port 0 picks one, or unix:PATH); returns the bound port.
    Without `credentials` (server_credentials()), `address` must be loopback or a unix socket."""
    if credentials is None and not is_loopback(address):
        raise PlaintextRefused(
            f"{address}: plaintext is allowed on loopback and unix sockets only; give --tls-cert and --tls-key"
        )
    # Without SO_REUSEPORT (gRPC's default on Linux), a second service on a port in use fails instead of sharing it.
    options = [*GRPC_OPTIONS, *SERVER_KEEPALIVE_OPTIONS, ("grpc.so_reuseport", 0)]
    interceptors = [] if metrics is None else [metrics.interceptor()]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=options, interceptors=interceptors)
    servicer = ModalityServicer(modality, interfaces, encode_threads)
    pb_grpc.add_ModalityServiceServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    try:
        port = (
            server.add_insecure_port(address) if credentials is None else server.add_secure_port(address, credentials)
        )
    except RuntimeError as error:  # grpcio says "Failed to bind"
        raise OSError(f"{address}: cannot listen there (in use by another process?): {error}") from None
    server.start()
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, servicer, port


def main(
    modality: str,
    interfaces: Sequence[type[BaseDataInterface]],
    argv: Sequence[str] | None = None,
    preload: Callable[[], None] | None = None,
) -> None:
    """`python -m nwbstream.<modality> --port N` (or `--address unix:/path`): serve until SIGTERM/SIGINT.

    `preload` imports the readers in the background once the server answers, so that the first OpenSource
    does not pay for them; the coordinator loads its own libraries meanwhile.
    """
    parser = argparse.ArgumentParser(prog=f"nwbstream-{modality}", description=f"nwbstream {modality} service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=50051)
    parser.add_argument("--address", help="full gRPC address; overrides --host/--port (e.g. unix:/tmp/x.sock)")
    parser.add_argument("--encode-threads", type=int, default=0, help="chunk-encoding threads (0: one per core)")
    parser.add_argument("--tls-cert", help="PEM certificate chain: serve TLS (required off loopback)")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument("--tls-client-ca", help="PEM CA: callers must present a certificate it signed (mutual TLS)")
    parser.add_argument("--metrics", metavar="HOST:PORT", help="serve Prometheus metrics there")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=f"%(asctime)s {modality} %(levelname)s %(message)s")
    address = args.address or f"{args.host}:{args.port}"
    if bool(args.tls_cert) != bool(args.tls_key) or (args.tls_client_ca and not args.tls_cert):
        parser.error("--tls-cert and --tls-key go together (and --tls-client-ca with them)")
    metrics = ServiceMetrics(modality) if args.metrics else None
    try:
        credentials = None
        if args.tls_cert:
            credentials = server_credentials(args.tls_cert, args.tls_key, args.tls_client_ca)
        if metrics is not None:
            metrics_port = serve_metrics(
                metrics.registry, args.metrics, args.tls_cert, args.tls_key, args.tls_client_ca
            )
        server, servicer, port = start_server(modality, interfaces, address, args.encode_threads, credentials, metrics)
    except (OSError, ValueError) as error:  # in use, a bad TLS file, plaintext off loopback: said as it is
        sys.exit(f"nwbstream {modality}: {error}")
    if preload is not None:
        threading.Thread(target=preload, name="preload", daemon=True).start()
    print(
        f"nwbstream {modality} service listening on {address if args.address else f'{args.host}:{port}'}",
        flush=True,
    )
    if metrics is not None:
        print(f"nwbstream {modality} metrics on {args.metrics.rsplit(':', 1)[0]}:{metrics_port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # Python runs signal handlers in the main thread only, and a signal the kernel hands to another thread (it may,
    # e.g. to the main thread's siblings as a stopped process is continued) does not wake a wait without a timeout.
    while not stop.wait(SIGNAL_POLL_SECONDS):
        pass
    server.stop(grace=2).wait()
    servicer.close_all()
    # A call still inside a reader (stuck on a dead mount) would hold a normal exit, which joins every thread.
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)
