"""The gRPC servicer every modality service runs: its interfaces, the sources it has open, their chunk streams."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
from nwbstream.v1 import modality_pb2 as pb
from nwbstream.v1 import modality_pb2_grpc as pb_grpc

from .chunks import ChunkGrid, LayoutError, encode_chunks
from .codecs import Codec, CodecError
from .contribution import NwbObjectSpec
from .detection import MAX_FILES, FolderListing
from .errors import SourceError, UnknownInterfaceError
from .interface import BaseDataInterface, one_line, source_label
from .stall import wait_while_stalled
from .sync import SyncRequestError, check_sync_request

log = logging.getLogger(__name__)
SYNC_CHUNK_VALUES = 1 << 16  # edge times per SyncTimesChunk message (512 KiB)


@dataclass
class _OpenSource:
    interface: BaseDataInterface
    objects: dict[str, NwbObjectSpec]
    fingerprint: str


class ModalityServicer(pb_grpc.ModalityServiceServicer):
    def __init__(self, modality: str, interfaces: Sequence[type[BaseDataInterface]], encode_threads: int = 0):
        self.modality = modality
        self.interfaces = {cls.__name__: cls for cls in interfaces}
        self._sources: dict[str, _OpenSource] = {}
        self._lock = threading.Lock()
        self._reopen_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=encode_threads or os.cpu_count() or 2, thread_name_prefix="encode")

    def ListInterfaces(self, request: pb.ListInterfacesRequest, context: grpc.ServicerContext):
        return pb.ListInterfacesResponse(
            modality=self.modality,
            interfaces=[
                pb.InterfaceInfo(
                    name=name,
                    source_schema_json=json.dumps(cls.get_source_schema()),
                    description=cls.info,
                    associated_suffixes=list(cls.associated_suffixes),
                )
                for name, cls in sorted(self.interfaces.items())
            ],
        )

    def OpenSource(self, request: pb.OpenSourceRequest, context: grpc.ServicerContext):
        with _status(context):
            source, reply = self._open(request)
            source_id = uuid.uuid4().hex
            with self._lock:
                self._sources[source_id] = source
            reply.source_id = source_id
            return reply
        return pb.OpenSourceResponse()

    def ReadChunks(self, request: pb.ReadChunksRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        with _status(context):
            source = self._source_for(request)
            spec = _lookup(source, request.object_name, request.dataset_name)
            if spec.data is not None:
                raise LayoutError(f"{request.object_name}/{request.dataset_name} is inline: it has no chunk stream")
            chunk_shape = tuple(request.layout.chunk_shape) or spec.layout_chunk_shape
            grid = ChunkGrid(spec.shape, tuple(int(c) for c in chunk_shape))
            grid.check(spec.dtype.itemsize)
            codec = Codec.from_proto(request.layout.codec) if request.layout.HasField("codec") else spec.codec
            if request.start_chunk > grid.n_chunks or request.stop_chunk > grid.n_chunks:
                raise LayoutError(f"chunk range {request.start_chunk}..{request.stop_chunk} beyond {grid.n_chunks}")

            def read(selection):
                wait_while_stalled()
                try:
                    return source.interface.read(request.object_name, request.dataset_name, selection)
                except SourceError:
                    raise
                except Exception as error:  # a reader failing mid-file: truncated, corrupt; say which file
                    rows = selection[0]
                    raise SourceError(
                        f"{source_label(source.interface.source_data)}: cannot read {request.object_name}/"
                        f"{request.dataset_name} rows {rows.start}..{rows.stop}: "
                        f"{type(error).__name__}: {one_line(error)}"
                    ) from error

            for chunk in encode_chunks(
                read, grid, np.dtype(spec.dtype), codec, self._pool, request.start_chunk, request.stop_chunk
            ):
                if not context.is_active():
                    return
                yield pb.Chunk(index=chunk.index, offset=chunk.offset, data=chunk.data, raw_nbytes=chunk.raw_nbytes)

    def ReadSyncTimes(
        self, request: pb.ReadSyncTimesRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.SyncTimesChunk]:
        with _status(context):
            interface = self._source_for(request).interface
            label = source_label(interface.source_data)
            edge = request.edge or "rising"
            check_sync_request(label, interface.sync_channels(), request.channel, edge)
            bit = request.bit if request.HasField("bit") else None
            try:
                times = np.asarray(interface.sync_times(request.channel, edge, bit), dtype="<f8")
            except SourceError:
                raise
            except SyncRequestError as error:
                raise SourceError(f"{label}: {error}") from None
            except Exception as error:  # a reader failing mid-file: truncated, corrupt; say which file
                raise SourceError(
                    f"{label}: cannot read the {edge} edges of sync channel {request.channel!r}: "
                    f"{type(error).__name__}: {error}"
                ) from error
            for start in range(0, len(times), SYNC_CHUNK_VALUES):
                if not context.is_active():
                    return
                yield pb.SyncTimesChunk(times=times[start : start + SYNC_CHUNK_VALUES].tobytes())

    def DetectSources(self, request: pb.DetectSourcesRequest, context: grpc.ServicerContext):
        with _status(context):
            return self._detect(request.folder_path)
        return pb.DetectSourcesResponse()

    def _detect(self, folder_path: str) -> pb.DetectSourcesResponse:
        root = Path(folder_path)
        if not root.is_dir():
            raise SourceError(f"{root}: no such folder", not_found=not root.exists())
        listing = FolderListing.walk(root)
        found: list[pb.DetectedSource] = []
        for name, cls in sorted(self.interfaces.items()):
            try:
                detections = cls.detect(listing)
            except Exception as error:  # one interface's claim failing must not hide the others'
                log.exception("detection of %s failed", name)
                listing.unreadable.append(f"{name} could not look: {type(error).__name__}: {one_line(error)}")
                continue
            found += [
                pb.DetectedSource(
                    interface_name=d.interface,
                    source_data_json=json.dumps(d.source_data),
                    files=list(d.files),
                    confidence=d.confidence,
                    evidence=d.evidence,
                    name=d.name,
                    todo=d.todo,
                )
                for d in detections
            ]
        notes = list(listing.unreadable)
        if listing.truncated:
            notes.append(f"{root}: more than {MAX_FILES} files; only the first {MAX_FILES} were looked at")
        return pb.DetectSourcesResponse(sources=found, notes=notes)

    def CloseSource(self, request: pb.CloseSourceRequest, context: grpc.ServicerContext):
        with self._lock:
            source = self._sources.pop(request.source_id, None)
        if source is not None:
            source.interface.close()
        return pb.CloseSourceResponse()

    def close_all(self) -> None:
        with self._lock:
            sources, self._sources = list(self._sources.values()), {}
        for source in sources:
            source.interface.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _open(self, request: pb.OpenSourceRequest) -> tuple[_OpenSource, pb.OpenSourceResponse]:
        cls = self.interfaces.get(request.interface_name)
        if cls is None:
            raise UnknownInterfaceError(
                f"no interface {request.interface_name!r} in the {self.modality} service "
                f"(it has: {', '.join(sorted(self.interfaces))})"
            )
        try:
            source_data = json.loads(request.source_data_json or "{}")
        except json.JSONDecodeError as error:
            raise SourceError(f"{request.interface_name}: source_data is not JSON: {error}") from None
        interface = cls.open(source_data)
        try:
            objects = interface.describe(stub=request.stub)
            metadata = interface.get_metadata()
            schema = interface.get_metadata_schema()
            messages = [o.to_proto() for o in objects]  # values a damaged header gives may not fit the contract
            warnings = interface.warnings()
        except SourceError:
            interface.close()
            raise
        except Exception as error:
            interface.close()
            raise SourceError(
                f"{source_label(source_data)}: {cls.__name__} failed to describe it: {one_line(error)}"
            ) from error
        fingerprint = _fingerprint(messages)
        reply = pb.OpenSourceResponse(
            metadata_json=json.dumps(metadata, default=str),
            metadata_schema_json=json.dumps(schema),
            objects=messages,
            fingerprint=fingerprint,
            warnings=warnings,
        )
        return _OpenSource(interface, {o.name: o for o in objects}, fingerprint), reply

    def _source_for(self, request: pb.ReadChunksRequest | pb.ReadSyncTimesRequest) -> _OpenSource:
        """The open source the request names; one this process never opened is reopened from `request.source`
        (a restarted service, another replica) and must describe the same objects as when first opened."""
        with self._lock:
            source = self._sources.get(request.source_id)
        if source is not None:
            return source
        if not request.HasField("source"):
            raise UnknownInterfaceError(f"no open source {request.source_id!r} (closed, or the service restarted)")
        with self._reopen_lock:
            with self._lock:
                source = self._sources.get(request.source_id)
            if source is None:
                source, _ = self._open(request.source)
                if request.fingerprint and source.fingerprint != request.fingerprint:
                    source.interface.close()
                    raise SourceError(
                        f"{request.source.source_data_json}: the source changed since it was opened "
                        "(it no longer describes the same objects)"
                    )
                with self._lock:
                    self._sources[request.source_id] = source
        return source


def _fingerprint(objects: Sequence[pb.NwbObject]) -> str:
    digest = hashlib.sha256()
    for message in objects:
        digest.update(message.SerializeToString(deterministic=True))
    return digest.hexdigest()


def _lookup(source: _OpenSource, object_name: str, dataset_name: str):
    obj = source.objects.get(object_name)
    if obj is None:
        raise UnknownInterfaceError(f"the source has no object {object_name!r}")
    try:
        return obj.dataset(dataset_name)
    except KeyError as error:
        raise UnknownInterfaceError(str(error.args[0])) from None


class _status:
    """Maps the service's errors to gRPC status codes with their message; anything else is INTERNAL."""

    def __init__(self, context: grpc.ServicerContext) -> None:
        self.context = context

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None or isinstance(error, GeneratorExit):
            return False
        if isinstance(error, SourceError):
            code = grpc.StatusCode.NOT_FOUND if error.not_found else grpc.StatusCode.INVALID_ARGUMENT
        elif isinstance(error, LayoutError | CodecError):
            code = grpc.StatusCode.INVALID_ARGUMENT
        elif isinstance(error, UnknownInterfaceError):
            code = grpc.StatusCode.NOT_FOUND
        else:
            log.exception("unexpected error")
            code = grpc.StatusCode.INTERNAL
        message = str(error.args[0]) if error.args else type(error).__name__
        self.context.abort(code, message)
        return False
