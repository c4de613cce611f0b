"""A modality service seen from the coordinator: a gRPC channel and the calls of the v1 contract."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nwbstream.v1 import modality_pb2 as pb
from nwbstream.v1 import modality_pb2_grpc as pb_grpc
from nwbstream.v1.transport import GRPC_OPTIONS

from .allocator import release_chunk_buffers_to_os
from .errors import ConversionError, ServiceUnavailable
from .tls import TLSFiles

READ_RETRIES = 3
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


class ServiceClient:
    def __init__(
        self, address: str, modality: str = "", tls: TLSFiles | None = None, on_chunk: ChunkObserver | None = None
    ) -> None:
        """`tls`: reach the service over TLS (its `ca`, and our `cert` + `key` for mutual TLS); `on_chunk` sees
        every chunk received (metrics)."""
        self.address = address
        self.modality = modality
        self.on_chunk = on_chunk
        release_chunk_buffers_to_os()  # before gRPC starts its threads, so that they share two arenas
        if tls is not None and tls.enabled:
            self.channel = grpc.secure_channel(address, tls.channel_credentials(), options=GRPC_OPTIONS)
        else:
            self.channel = grpc.insecure_channel(address, options=GRPC_OPTIONS)
        self.stub = pb_grpc.ModalityServiceStub(self.channel)

    def wait_healthy(self, timeout: float) -> None:
        """Blocks until the service reports SERVING; raises ConversionError after `timeout` seconds."""
        health = health_pb2_grpc.HealthStub(self.channel)
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError as error:
                last = error
            time.sleep(0.1)
        raise ServiceUnavailable(f"service {self.modality or self.address} at {self.address} is not healthy: {last}")

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
        self, source: OpenedSource, object_name: str, dataset_name: str, layout: pb.Layout, start: int, stop: int
    ) -> Iterator[pb.Chunk]:
        """Chunks start..stop; a broken stream is resumed from the next chunk not yet received. Each request
        carries what opened the source, so a restarted service (or another replica) can serve it."""
        next_index = start
        attempt = 0
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
                for chunk in self.stub.ReadChunks(request):
                    if self.on_chunk is not None:
                        self.on_chunk(chunk, time.perf_counter() - waited)
                    next_index = chunk.index + 1
                    attempt = 0
                    yield chunk
                    waited = time.perf_counter()
                return
            except grpc.RpcError as error:
                retryable = error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
                attempt += 1
                if not retryable or attempt > READ_RETRIES:
                    raise _error(error, self) from None
                time.sleep(0.5 * attempt)

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
        attempt = 0
        while True:
            try:
                parts = [np.frombuffer(chunk.times, dtype="<f8") for chunk in self.stub.ReadSyncTimes(request)]
                return np.concatenate([np.empty(0, "<f8"), *parts])
            except grpc.RpcError as error:
                retryable = error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
                attempt += 1
                if not retryable or attempt > READ_RETRIES:
                    raise _error(error, self) from None
                time.sleep(0.5 * attempt)

    def close_source(self, source_id: str) -> None:
        # The service may already be gone; it releases its sources when it stops.
        with contextlib.suppress(grpc.RpcError):
            self.stub.CloseSource(pb.CloseSourceRequest(source_id=source_id), timeout=10)

    def close(self) -> None:
        self.channel.close()

    def _call(self, method, request):
        try:
            return method(request, timeout=300)
        except grpc.RpcError as error:
            raise _error(error, self) from None


def _error(error: grpc.RpcError, client: ServiceClient) -> ConversionError:
    """A service's own refusal (bad input) as it worded it; a service out of reach as ServiceUnavailable."""
    if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        name = client.modality or "modality"
        return ServiceUnavailable(f"{name} service at {client.address} is unavailable: {error.details()}")
    return ConversionError(error.details() or str(error.code()))
