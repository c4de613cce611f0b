"""Runs a modality service: gRPC server, health service, message limits raised to fit one chunk."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from nwbstream.v1 import modality_pb2_grpc as pb_grpc
from nwbstream.v1.transport import GRPC_OPTIONS

from .interface import BaseDataInterface
from .servicer import ModalityServicer

SERVICE_NAME = "nwbstream.v1.ModalityService"


def start_server(
    modality: str, interfaces: Sequence[type[BaseDataInterface]], address: str, encode_threads: int = 0
) -> tuple[grpc.Server, ModalityServicer, int]:
    """Starts serving on `address` (host:port, port 0 picks one, or unix:PATH); returns the bound port."""
    # Without SO_REUSEPORT (gRPC's default on Linux), a second service on a port in use fails instead of sharing it.
    options = [*GRPC_OPTIONS, ("grpc.so_reuseport", 0)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=options)
    servicer = ModalityServicer(modality, interfaces, encode_threads)
    pb_grpc.add_ModalityServiceServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    try:
        port = server.add_insecure_port(address)
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=f"%(asctime)s {modality} %(levelname)s %(message)s")
    address = args.address or f"{args.host}:{args.port}"
    try:
        server, servicer, port = start_server(modality, interfaces, address, args.encode_threads)
    except OSError as error:
        sys.exit(f"nwbstream {modality}: {error}")
    if preload is not None:
        threading.Thread(target=preload, name="preload", daemon=True).start()
    print(
        f"nwbstream {modality} service listening on {address if args.address else f'{args.host}:{port}'}",
        flush=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2).wait()
    servicer.close_all()
    sys.exit(0)
