"""Prometheus metrics of the conversion service: jobs by state (read from the store when scraped, so every replica
reports the same numbers), chunks and bytes converted, the wait for each chunk, and errors by kind.

The server wires it once:
    metrics = ConversionMetrics(store.counts)
    start_metrics_server(metrics, config.metrics, config.tls)    # when config.metrics is set
    ServiceSet(..., on_chunk=metrics.observe_chunk)              # chunks, bytes, latency
    metrics.record_error("UNAVAILABLE")                          # a job's failure, by kind
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from nwbstream.v1 import modality_pb2 as pb
from nwbstream.v1.transport import host_and_port, is_loopback
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..errors import ConversionError
from ..tls import TLSFiles
from .store.base import JobState

# From a chunk already in flight (ms) to a 64 MiB chunk a busy service reads from a slow file system (tens of s).
LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ConversionMetrics:
    """The service's metrics, in a registry of their own; `job_counts` (e.g. the store's `counts`) is called at
    each scrape."""

    def __init__(self, job_counts: Callable[[], Mapping[JobState, int]]) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_JobsByState(job_counts))
        self.chunks = Counter("nwbstream_chunks_converted", "Chunks received from the services", registry=self.registry)
        self.bytes = Counter(
            "nwbstream_bytes_converted", "Bytes of data converted (before compression)", registry=self.registry
        )
        self.latency = Histogram(
            "nwbstream_chunk_seconds",
            "Wait for each chunk from its service",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "nwbstream_errors", "Failures by kind (gRPC status, or the error's kind)", ["kind"], registry=self.registry
        )

    def record_chunk(self, nbytes: int, seconds: float) -> None:
        self.chunks.inc()
        self.bytes.inc(nbytes)
        self.latency.observe(seconds)

    def observe_chunk(self, chunk: pb.Chunk, seconds: float) -> None:
        """A ServiceSet's `on_chunk`: counts the chunk's data before encoding."""
        self.record_chunk(chunk.raw_nbytes, seconds)

    def record_error(self, kind: str) -> None:
        self.errors.labels(kind=kind).inc()


def start_metrics_server(metrics: ConversionMetrics, address: str, tls: TLSFiles | None = None) -> int:
    """Serves the metrics at host:port (port 0 picks one; returns the bound port): HTTPS with `tls`'s cert + key
    (its `ca` then signs the scrapers' certificates), plaintext on loopback only."""
    try:
        host, port = host_and_port(address)
    except ValueError as error:
        raise ConversionError(f"metrics: {error}") from None
    secure = tls is not None and tls.cert is not None and tls.key is not None
    if not secure and not is_loopback(address):
        raise ConversionError(f"metrics {address}: plaintext is allowed on loopback only; give tls.cert and tls.key")
    try:
        server, _ = start_http_server(
            port,
            addr=host,
            registry=metrics.registry,
            certfile=str(tls.cert) if secure else None,
            keyfile=str(tls.key) if secure else None,
            client_cafile=str(tls.ca) if secure and tls.ca else None,
            client_auth_required=bool(secure and tls.ca),
        )
    except OSError as error:
        raise ConversionError(f"metrics {address}: cannot serve there: {error.strerror or error}") from None
    return server.server_port


class _JobsByState(Collector):
    def __init__(self, job_counts: Callable[[], Mapping[JobState, int]]) -> None:
        self.job_counts = job_counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("nwbstream_jobs", "Jobs in the store by state", labels=["state"])
        counts = self.job_counts()
        for state in JobState:
            gauge.add_metric([state.value], counts.get(state, 0))
        yield gauge
