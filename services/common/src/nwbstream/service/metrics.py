"""Prometheus metrics of one modality service: chunks and bytes served, the time to produce a chunk, and the calls
that failed by gRPC status. A server interceptor counts them, so the servicer stays unaware of them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
from nwbstream.v1.transport import host_and_port, is_loopback
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

READ_CHUNKS = "/nwbstream.v1.ModalityService/ReadChunks"
# From a small chunk of a fast reader (ms) to a 64 MiB chunk read from a slow network file system (tens of s).
LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServiceMetrics:
    """The metrics of one service, in a registry of their own (several services may share a test process)."""

    def __init__(self, modality: str) -> None:
        self.registry = CollectorRegistry()
        self.modality = modality
        self.chunks = self._of_modality(Counter, "nwbstream_service_chunks_served", "Chunks sent by ReadChunks")
        self.bytes = self._of_modality(
            Counter, "nwbstream_service_bytes_served", "Bytes of chunk data sent by ReadChunks, encoded (as stored)"
        )
        self.latency = self._of_modality(
            Histogram, "nwbstream_service_chunk_seconds", "Time to read and encode one chunk", buckets=LATENCY_BUCKETS
        )
        self._errors = Counter(
            "nwbstream_service_errors",
            "Calls that ended in an error, by method and gRPC status",
            labelnames=["modality", "method", "code"],
            registry=self.registry,
        )

    def _of_modality(self, kind: type, name: str, documentation: str, **options):
        return kind(name, documentation, labelnames=["modality"], registry=self.registry, **options).labels(
            self.modality
        )

    def record_chunk(self, nbytes: int, seconds: float) -> None:
        self.chunks.inc()
        self.bytes.inc(nbytes)
        self.latency.observe(seconds)

    def record_error(self, method: str, code: str) -> None:
        self._errors.labels(modality=self.modality, method=method, code=code).inc()

    def interceptor(self) -> grpc.ServerInterceptor:
        return _Interceptor(self)


def serve_metrics(
    registry: CollectorRegistry,
    address: str,
    cert: str | Path | None = None,
    key: str | Path | None = None,
    client_ca: str | Path | None = None,
) -> int:
    """Serves `registry` over HTTP at host:port (port 0 picks one), or HTTPS given `cert` + `key` (`client_ca`:
    scrapers must show a certificate it signed); plaintext on loopback only. Returns the bound port."""
    host, port = host_and_port(address)
    if cert is None and not is_loopback(address):
        raise ValueError(f"metrics at {address}: plaintext is allowed on loopback only; give a TLS certificate and key")
    server, _ = start_http_server(
        port,
        addr=host,
        registry=registry,
        certfile=None if cert is None else str(cert),
        keyfile=None if key is None else str(key),
        client_cafile=None if client_ca is None else str(client_ca),
        client_auth_required=client_ca is not None,
    )
    return server.server_port


class _Interceptor(grpc.ServerInterceptor):
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        name = method.rsplit("/", 1)[-1]
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, name),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(handler.unary_stream, name, counts_chunks=method == READ_CHUNKS),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # no streaming requests in the contract

    def _unary(self, behavior: Callable, name: str) -> Callable:
        def unary(request, context: grpc.ServicerContext):
            try:
                reply = behavior(request, context)
            except Exception:
                self._failed(name, context, raised=True)
                raise
            self._failed(name, context, raised=False)
            return reply

        return unary

    def _stream(self, behavior: Callable, name: str, counts_chunks: bool) -> Callable:
        def stream(request, context: grpc.ServicerContext) -> Iterator:
            replies = behavior(request, context)
            while True:
                started = time.perf_counter()
                try:
                    reply = next(replies)
                except StopIteration:
                    break
                except Exception:
                    self._failed(name, context, raised=True)
                    raise
                if counts_chunks:
                    self.metrics.record_chunk(len(reply.data), time.perf_counter() - started)
                yield reply
            self._failed(name, context, raised=False)

        return stream

    def _failed(self, name: str, context: grpc.ServicerContext, raised: bool) -> None:
        """Counts the call if it ended in an error status: the one abort() or set_code() gave, else UNKNOWN (what
        gRPC reports for an exception)."""
        code = context.code()
        if code is None and raised:
            code = grpc.StatusCode.UNKNOWN
        if code is not None and code != grpc.StatusCode.OK:
            self.metrics.record_error(name, code.name)
