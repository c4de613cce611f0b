"""A modality service seen from the coordinator: a gRPC channel per replica, and the calls of the v1 contract."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
from .tls import TLSFiles

READ_RETRIES = 3  # failed attempts in a row, per replica, before a read gives up
RETRY_PAUSE = 0.5  # seconds, times the failures in a row (divided among the replicas)
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
HEALTHY_GRACE = 15.0  # seconds the other replicas have to answer once one does (a loaded machine answers slowly)
log = logging.getLogger(__name__)
ChunkObserver = Callable[[pb.Chunk, float], None]  # a chunk received, and the seconds spent waiting for it


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


class _Replica:
    """One endpoint of a service: its channel and stub."""

    def __init__(self, endpoint: Endpoint, tls: TLSFiles | None) -> None:
        self.address = endpoint.address
        if tls is not None and tls.enabled:
            # An address resolved from a name: the certificate names the host, not the address.
            named = [("grpc.ssl_target_name_override", endpoint.host)] if endpoint.host else []
            credentials = tls.channel_credentials()
            self.channel = grpc.secure_channel(endpoint.address, credentials, options=[*GRPC_OPTIONS, *named])
        else:
            self.channel = grpc.insecure_channel(endpoint.address, options=GRPC_OPTIONS)
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
    ) -> None:
        """`endpoints`: an address (one replica) or every replica's endpoint; `tls`: reach the service over TLS
        (its `ca`, and our `cert` + `key` for mutual TLS); `on_chunk` sees every chunk received (metrics)."""
        self.modality = modality
        self.on_chunk = on_chunk
        release_chunk_buffers_to_os()  # before gRPC starts its threads, so that they share two arenas
        given = [Endpoint(endpoints)] if isinstance(endpoints, str) else list(endpoints)
        self._replicas = [_Replica(endpoint, tls) for endpoint in given]

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
        )

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
            try:
                waited = time.perf_counter()
                for chunk in failover.replica.stub.ReadChunks(request):
                    if self.on_chunk is not None:
                        self.on_chunk(chunk, time.perf_counter() - waited)
                    next_index = chunk.index + 1
                    failover.succeeded()
                    yield chunk
                    waited = time.perf_counter()
                return
            except grpc.RpcError as error:
                failover.failed(error)

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
            try:
                parts = [
                    np.frombuffer(chunk.times, dtype="<f8") for chunk in failover.replica.stub.ReadSyncTimes(request)
                ]
                return np.concatenate([np.empty(0, "<f8"), *parts])
            except grpc.RpcError as error:
                failover.failed(error)

    def close_source(self, source_id: str) -> None:
        """On every replica: any of them may have reopened it to serve its chunks."""
        for replica in self._replicas:
            # The service may already be gone; it releases its sources when it stops.
            with contextlib.suppress(grpc.RpcError):
                replica.stub.CloseSource(pb.CloseSourceRequest(source_id=source_id), timeout=10)

    def close(self) -> None:
        for replica in self._replicas:
            replica.channel.close()

    def _call(self, method, request):
        try:
            return method(request, timeout=300)
        except grpc.RpcError as error:
            raise _error(error, self.modality, self.address) from None


class _Failover:
    """Which replica a read goes to after a failure: one out of reach is left for the next, in turn, with a pause
    that grows with the failures in a row; a refusal (bad input), or READ_RETRIES failures in a row per replica,
    ends the read."""

    def __init__(self, client: ServiceClient, first: int) -> None:
        self._client = client
        self._replicas = client._replicas
        self._index = first % len(self._replicas)
        self._failures = 0

    @property
    def replica(self) -> _Replica:
        return self._replicas[self._index]

    def succeeded(self) -> None:
        self._failures = 0

    def failed(self, error: grpc.RpcError) -> None:
        """Raises the error as a ConversionError when the read should end; else waits, then moves to the next."""
        self._failures += 1
        if error.code() not in RETRYABLE or self._failures > READ_RETRIES * len(self._replicas):
            raise _error(error, self._client.modality, self.replica.address) from None
        self._index = (self._index + 1) % len(self._replicas)
        time.sleep(RETRY_PAUSE * self._failures / len(self._replicas))


def _error(error: grpc.RpcError, modality: str, address: str) -> ConversionError:
    """A service's own refusal (bad input) as it worded it; a service out of reach as ServiceUnavailable."""
    if error.code() in RETRYABLE:
        return ServiceUnavailable(f"{modality or 'modality'} service at {address} is unavailable: {error.details()}")
    return ConversionError(error.details() or str(error.code()))
