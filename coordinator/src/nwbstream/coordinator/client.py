"""A modality service seen from the coordinator: a gRPC channel per replica, and the calls of the v1 contract."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nwbstream.v1 import modality_pb2 as pb
from nwbstream.v1 import modality_pb2_grpc as pb_grpc
from nwbstream.v1.transport import GRPC_OPTIONS

from .allocator import release_chunk_buffers_to_os
from .endpoints import Endpoint
from .errors import ConversionError, ServiceUnavailable
from .idle import StreamStalled, watched
from .tls import TLSFiles

SOURCE_PATH_KEYS = ("file_path", "folder_path", "file_paths")  # the source_data keys that name a source's files
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
HEALTHY_GRACE = 15.0  # seconds the other replicas have to answer once one does (a loaded machine answers slowly)
FIRST_PAUSE = 0.1  # seconds before the first retry of a broken read; doubled at each failure in a row
LONGEST_PAUSE = 2.0
CLOSE_TIMEOUT = 2.0  # seconds for a service to close a source: a hung one would hold up the end of a failed conversion
log = logging.getLogger(__name__)
ChunkObserver = Callable[[pb.Chunk, float], None]  # a chunk received, and the seconds spent waiting for it


@dataclass(frozen=True)
class LostCall:
    """A call to a service that broke as out of reach (or, `stalled`, sent nothing for the chunk timeout)."""

    address: str
    began: float  # time.monotonic() when the call was made: a service restarted since then is not the one that broke
    stalled: bool = False


ServiceLost = Callable[[LostCall], None]  # told of a lost call before it is made again


@dataclass(frozen=True)
class Patience:
    """How long a service may stay silent or out of reach before a conversion gives up on it, in seconds.

    A process that stops answering while the connection stays open (stopped, frozen machine) is found by gRPC
    keepalive: a ping unanswered `keepalive_timeout` after it was sent `keepalive` into a silence closes the
    connection, and the stream breaks as UNAVAILABLE. A process that answers pings but sends no chunk (stuck inside
    a reader) is found by `chunk_timeout`: a stream that delivers nothing for that long while it is waited on is
    cancelled. A broken or cancelled read is retried (from the next chunk not yet received) until it has failed for
    `retry_budget` in a row; a connection attempt that gets no answer ends after `connect_timeout`."""

    keepalive: float = 5.0
    keepalive_timeout: float = 5.0
    retry_budget: float = 30.0
    connect_timeout: float = 5.0
    chunk_timeout: float = 60.0

    def channel_options(self) -> list[tuple[str, int]]:
        return [
            ("grpc.keepalive_time_ms", round(self.keepalive * 1000)),
            ("grpc.keepalive_timeout_ms", round(self.keepalive_timeout * 1000)),
            ("grpc.http2.ping_timeout_ms", round(self.keepalive_timeout * 1000)),  # what recent gRPC waits for an ack
            ("grpc.http2.max_pings_without_data", 0),  # ping however long the service stays silent
            # a service out of reach is tried again within a second or two, not after gRPC's default of up to 120 s
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", round(LONGEST_PAUSE * 1000)),
            ("grpc.min_reconnect_backoff_ms", round(self.connect_timeout * 1000)),  # also the connect timeout
        ]


DEFAULT_PATIENCE = Patience()


@dataclass(frozen=True)
class InterfaceEntry:
    name: str
    modality: str
    source_schema: dict[str, Any]
    description: str
    associated_suffixes: tuple[str, ...]


@dataclass
class OpenedSource:
    """One interface's source, open in its service; `request` and `fingerprint` let any replica reopen it."""

    service: ServiceClient
    interface_name: str
    source_id: str
    metadata: dict[str, Any]
    metadata_schema: dict[str, Any]
    objects: list[pb.NwbObject]
    request: pb.OpenSourceRequest
    fingerprint: str
    # What the service found doubtful but not wrong (a file that may be cut where its format states no length).
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The file or folder the source is, for messages (its interface's name when it names none)."""
        source_data = json.loads(self.request.source_data_json)
        for key in SOURCE_PATH_KEYS:
            value = source_data.get(key)
            if value:
                return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        return self.interface_name


class _Replica:
    """One endpoint of a service: its channel and stub."""

    def __init__(self, endpoint: Endpoint, tls: TLSFiles | None, patience: Patience) -> None:
        self.address = endpoint.address
        options = [*GRPC_OPTIONS, *patience.channel_options()]
        if tls is not None and tls.enabled:
            # An address resolved from a name: the certificate names the host, not the address.
            named = [("grpc.ssl_target_name_override", endpoint.host)] if endpoint.host else []
            credentials = tls.channel_credentials()
            self.channel = grpc.secure_channel(endpoint.address, credentials, options=[*options, *named])
        else:
            self.channel = grpc.insecure_channel(endpoint.address, options=options)
        self.stub = pb_grpc.ModalityServiceStub(self.channel)

    def serving(self) -> None:
        """Returns when the endpoint reports SERVING; raises grpc.RpcError or ServiceUnavailable otherwise."""
        reply = health_pb2_grpc.HealthStub(self.channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            raise ServiceUnavailable(
                f"{self.address} reports {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}"
            )


class ServiceClient:
    """One modality's service at one or more endpoints (its replicas). Sources are opened on the first; chunk
    streams go to any of them, and move to the next one when theirs is out of reach."""

    def __init__(
        self,
        endpoints: str | Sequence[Endpoint],
        modality: str = "",
        tls: TLSFiles | None = None,
        on_chunk: ChunkObserver | None = None,
        patience: Patience = DEFAULT_PATIENCE,
        on_lost: ServiceLost | None = None,
    ) -> None:
        """`endpoints`: an address (one replica) or every replica's endpoint; `tls`: reach the service over TLS
        (its `ca`, and our `cert` + `key` for mutual TLS); `on_chunk` sees every chunk received (metrics);
        `on_lost` is told of a call that broke as out of reach or stalled, before it is made again (embedded mode
        restarts a dead or hung service there)."""
        self.modality = modality
        self.on_chunk = on_chunk
        self.patience = patience
        self.on_lost = on_lost
        release_chunk_buffers_to_os()  # before gRPC starts its threads, so that they share two arenas
        given = [Endpoint(endpoints)] if isinstance(endpoints, str) else list(endpoints)
        self._replicas = [_Replica(endpoint, tls, patience) for endpoint in given]

    @property
    def address(self) -> str:
        """Where sources are opened (the first replica)."""
        return self._replicas[0].address

    @property
    def addresses(self) -> list[str]:
        return [replica.address for replica in self._replicas]

    @property
    def stub(self) -> pb_grpc.ModalityServiceStub:
        return self._replicas[0].stub

    def wait_healthy(self, timeout: float) -> None:
        """Blocks until the replicas report SERVING; raises ServiceUnavailable after `timeout` seconds if none does.
        Once one does, the others have HEALTHY_GRACE seconds more; those that do not are left out."""
        deadline = time.monotonic() + timeout
        waiting = list(self._replicas)
        failures: dict[str, Exception] = {}
        while waiting and time.monotonic() < deadline:
            for replica in list(waiting):
                try:
                    replica.serving()
                    waiting.remove(replica)
                except (grpc.RpcError, ServiceUnavailable) as error:
                    failures[replica.address] = error
            if len(waiting) < len(self._replicas):
                deadline = min(deadline, time.monotonic() + HEALTHY_GRACE)
            if waiting:
                time.sleep(0.1)
        name = self.modality or "modality"
        if len(waiting) == len(self._replicas):
            last = failures.get(self.address)
            raise ServiceUnavailable(f"service {name} at {', '.join(self.addresses)} is not healthy: {last}")
        for replica in waiting:
            log.warning(
                "%s service at %s is not healthy (%s): left out of this conversion",
                name,
                replica.address,
                failures.get(replica.address),
            )
            replica.channel.close()
        self._replicas = [replica for replica in self._replicas if replica not in waiting]

    def list_interfaces(self) -> list[InterfaceEntry]:
        reply = self._call(self.stub.ListInterfaces, pb.ListInterfacesRequest())
        self.modality = reply.modality
        return [
            InterfaceEntry(
                name=i.name,
                modality=reply.modality,
                source_schema=json.loads(i.source_schema_json),
                description=i.description,
                associated_suffixes=tuple(i.associated_suffixes),
            )
            for i in reply.interfaces
        ]

    def open_source(self, interface_name: str, source_data: dict[str, Any], stub: bool) -> OpenedSource:
        request = pb.OpenSourceRequest(
            interface_name=interface_name, source_data_json=json.dumps(source_data, default=str), stub=stub
        )
        reply = self._call(self.stub.OpenSource, request)
        return OpenedSource(
            service=self,
            interface_name=interface_name,
            source_id=reply.source_id,
            metadata=json.loads(reply.metadata_json),
            metadata_schema=json.loads(reply.metadata_schema_json),
            objects=list(reply.objects),
            request=request,
            fingerprint=reply.fingerprint,
            warnings=list(reply.warnings),
        )

    def detect_sources(self, folder: Path) -> tuple[list[pb.DetectedSource], list[str]]:
        """What this service's interfaces recognise under `folder` (paths relative to it), and its notes."""
        reply = self._call(self.stub.DetectSources, pb.DetectSourcesRequest(folder_path=str(folder)))
        return list(reply.sources), list(reply.notes)

    def read_chunks(
        self,
        source: OpenedSource,
        object_name: str,
        dataset_name: str,
        layout: pb.Layout,
        start: int,
        stop: int,
        replica: int = 0,
    ) -> Iterator[pb.Chunk]:
        """Chunks start..stop from the `replica`-th endpoint (modulo their number); a broken stream is resumed from
        the next chunk not yet received, on the next replica when there are several. Each request carries what
        opened the source, so a restarted service, or a replica that never opened it, can serve it."""
        failover = _Failover(self, replica)
        next_index = start
        while next_index < stop:
            request = pb.ReadChunksRequest(
                source_id=source.source_id,
                object_name=object_name,
                dataset_name=dataset_name,
                layout=layout,
                start_chunk=next_index,
                stop_chunk=stop,
                source=source.request,
                fingerprint=source.fingerprint,
            )
            began = time.monotonic()
            try:
                waited = time.perf_counter()
                for chunk in watched(failover.replica.stub.ReadChunks(request), self.patience.chunk_timeout):
                    if self.on_chunk is not None:
                        self.on_chunk(chunk, time.perf_counter() - waited)
                    next_index = chunk.index + 1
                    failover.succeeded()
                    yield chunk
                    waited = time.perf_counter()
                return
            except grpc.RpcError as error:
                failover.failed(error, began)

    def read_sync_times(
        self, opened: OpenedSource, channel: str, edge: str = "rising", bit: int | None = None
    ) -> np.ndarray:
        """Times (s, on the clock of the source's objects) of the `edge`s of one sync channel of an open source
        ("SY0" with bit 6, "XD0", ...). Like ReadChunks, the request carries what opened the source; a broken
        stream is read again from its start."""
        request = pb.ReadSyncTimesRequest(
            source_id=opened.source_id,
            source=opened.request,
            fingerprint=opened.fingerprint,
            channel=channel,
            edge=edge,
            bit=bit,
        )
        failover = _Failover(self, 0)
        while True:
            began = time.monotonic()
            try:
                stream = watched(failover.replica.stub.ReadSyncTimes(request), self.patience.chunk_timeout)
                parts = [np.frombuffer(chunk.times, dtype="<f8") for chunk in stream]
                return np.concatenate([np.empty(0, "<f8"), *parts])
            except grpc.RpcError as error:
                failover.failed(error, began)

    def close_source(self, source_id: str) -> None:
        """On every replica: any of them may have reopened it to serve its chunks."""
        for replica in self._replicas:
            # The service may already be gone; it releases its sources when it stops.
            with contextlib.suppress(grpc.RpcError):
                replica.stub.CloseSource(pb.CloseSourceRequest(source_id=source_id), timeout=CLOSE_TIMEOUT)

    def close(self) -> None:
        for replica in self._replicas:
            replica.channel.close()

    def _call(self, method, request):
        """A unary call to the first replica; asked again once if the service was lost and `on_lost` brought it
        back (an embedded service that died between two conversions)."""
        began = time.monotonic()
        try:
            return method(request, timeout=300)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or self.on_lost is None:
                raise _error(error, self.modality, self.address) from None
            self.on_lost(LostCall(self.address, began))
        try:
            return method(request, timeout=300, wait_for_ready=True)  # the channel may still be backing off
        except grpc.RpcError as error:
            raise _error(error, self.modality, self.address) from None


class _Failover:
    """Which replica a read goes to after a failure: one out of reach is left for the next, in turn, after a pause
    that doubles with the failures in a row; a refusal (bad input), or failures in a row for longer than the retry
    budget, ends the read."""

    def __init__(self, client: ServiceClient, first: int) -> None:
        self._client = client
        self._replicas = client._replicas
        self._index = first % len(self._replicas)
        self._failures = 0
        self._failing_since = 0.0

    @property
    def replica(self) -> _Replica:
        return self._replicas[self._index]

    def succeeded(self) -> None:
        self._failures = 0

    def failed(self, error: grpc.RpcError, began: float) -> None:
        """Raises the error of the call made at `began` as a ConversionError when the read should end; else waits,
        then moves to the next replica."""
        now = time.monotonic()
        if self._failures == 0:
            self._failing_since = now
        self._failures += 1
        client = self._client
        address = self.replica.address
        if error.code() not in RETRYABLE:
            raise _error(error, client.modality, address) from None
        if now - self._failing_since >= client.patience.retry_budget:
            raise ServiceUnavailable(
                f"{client.modality or 'modality'} service at {address} is unavailable: {error.details()} "
                f"({self._failures} attempts in {now - self._failing_since:.1f} s)"
            ) from None
        log.warning("%s service at %s: %s; reading again", client.modality, address, error.details())
        stalled = isinstance(error, StreamStalled)
        if client.on_lost is not None and (stalled or error.code() == grpc.StatusCode.UNAVAILABLE):
            client.on_lost(LostCall(address, began, stalled))
        self._index = (self._index + 1) % len(self._replicas)
        pause = min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (self._failures - 1)) / len(self._replicas)
        time.sleep(min(pause, max(0.0, self._failing_since + client.patience.retry_budget - time.monotonic())))


def _error(error: grpc.RpcError, modality: str, address: str) -> ConversionError:
    """A service's own refusal (bad input) as it worded it; a service out of reach as ServiceUnavailable."""
    if error.code() in RETRYABLE:
        return ServiceUnavailable(f"{modality or 'modality'} service at {address} is unavailable: {error.details()}")
    return ConversionError(error.details() or str(error.code()))
