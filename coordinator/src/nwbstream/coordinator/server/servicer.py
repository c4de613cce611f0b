"""The ConversionService's calls (proto/nwbstream/v1/conversion.proto): every one is a lab's, by its token."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import grpc
from nwbstream.v1 import conversion_pb2 as pb
from nwbstream.v1 import conversion_pb2_grpc as pb_grpc

from ..alignment.record import describe
from ..converter import Converter
from ..detection import ProposedSource
from ..draft_spec import draft_session
from ..errors import ConversionError, ServiceUnavailable
from ..metadata import merge_metadata
from ..spec import Spec, parse_spec
from .auth import lab_of
from .config import Lab, ServerConfig
from .paths import confine_spec, hide_root, resolve_in_root
from .runner import ServicesFor
from .store import FINAL_STATES, JobRecord, JobState, JobStore, NewJob
from .transfer import receive_upload, send_output

WATCH_POLL_SECONDS = 0.25
STATES = {state: pb.JobState.Value(f"JOB_STATE_{state.name}") for state in JobState}


def to_proto(job: JobRecord) -> pb.Job:
    return pb.Job(
        id=job.id,
        lab=job.lab,
        state=STATES[job.state],
        session=job.session,
        nwbfile_name=job.nwbfile_name,
        created_at=job.created_at,
        started_at=job.started_at or 0.0,
        finished_at=job.finished_at or 0.0,
        bytes_done=job.bytes_done,
        bytes_total=job.bytes_total,
        attempts=job.attempts,
        error=job.error,
        output=job.output,
        report_json=json.dumps(job.report) if job.report is not None else "",
        cancel_requested=job.cancel_requested,
        dandi_json=json.dumps(job.dandi) if job.dandi is not None else "",
    )


@contextlib.contextmanager
def _refusals(context: grpc.ServicerContext, lab: Lab) -> Iterator[None]:
    """A ConversionError ends the call in its own words (paths under the lab's data root hidden): UNAVAILABLE when
    a modality service is out of reach (worth asking again), INVALID_ARGUMENT otherwise."""
    try:
        yield
    except ServiceUnavailable as error:
        context.abort(grpc.StatusCode.UNAVAILABLE, hide_root(str(error), lab.data_root))
    except ConversionError as error:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, hide_root(str(error), lab.data_root))


def _as_lab(method: Callable) -> Callable:
    """Runs a call, unary or streaming its answer, as the lab its token names, its refusals as `_refusals` says."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def stream(self: ConversionServicer, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            lab = self.lab(context)
            with _refusals(context, lab):
                yield from method(self, request, context, lab)

        return stream

    @functools.wraps(method)
    def answer(self: ConversionServicer, request: Any, context: grpc.ServicerContext) -> Any:
        lab = self.lab(context)
        with _refusals(context, lab):
            return method(self, request, context, lab)

    return answer


def _proposed(source: ProposedSource, base: PurePosixPath) -> pb.ProposedSource:
    return pb.ProposedSource(
        key=source.key,
        interface_name=source.interface,
        modality=source.modality,
        source_data_json=json.dumps(source.relative_to(base)),
        confidence=source.confidence,
        evidence=source.evidence,
        todo=source.todo,
        alternatives=[_proposed(a, base) for a in source.alternatives],
    )


def _entries(folder: Path, root: Path) -> list[pb.BrowseEntry]:
    """The folder's subfolders then files, by name; a symbolic link leaving the root is left out, as if absent."""
    entries = []
    for path in folder.iterdir():
        try:
            target = resolve_in_root(root, path.relative_to(Path(root).resolve()))
            is_folder = target.is_dir()
            size = 0 if is_folder else target.stat().st_size
        except (ConversionError, OSError):
            continue
        entries.append(pb.BrowseEntry(name=path.name, is_folder=is_folder, size=size))
    return sorted(entries, key=lambda entry: (not entry.is_folder, entry.name))


class ConversionServicer(pb_grpc.ConversionServiceServicer):
    def __init__(self, config: ServerConfig, store: JobStore, outputs: Any, services_for: ServicesFor) -> None:
        self._config = config
        self._store = store
        self._outputs = outputs
        self._services_for = services_for

    def lab(self, context: grpc.ServicerContext) -> Lab:
        lab = lab_of(context.invocation_metadata(), self._config.labs)
        if lab is None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "no known token in the call's `authorization` metadata")
        return lab

    def _spec(self, text: str, name: str, lab: Lab) -> Spec:
        if len(text.encode()) > self._config.limits.spec_bytes:
            raise ConversionError(f"{name}: larger than the server's limit of {self._config.limits.spec_bytes} bytes")
        spec = parse_spec(text, name, lab.data_root)
        confine_spec(spec, lab.data_root)
        return spec

    def _job(self, job_id: str, lab: Lab, context: grpc.ServicerContext) -> JobRecord:
        job = self._store.get(job_id, lab.name)
        if job is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no job {job_id}")
        return job

    @_as_lab
    def Submit(self, request: pb.SubmitRequest, context: grpc.ServicerContext, lab: Lab) -> pb.SubmitResponse:
        name = request.spec_name or "spec"
        spec = self._spec(request.spec_yaml, name, lab)
        if request.backend not in ("", "hdf5", "zarr"):
            raise ConversionError(f"backend {request.backend!r}: choose hdf5 or zarr")
        options = {"stub": request.stub, "backend": request.backend}
        jobs = self._store.add(
            [
                NewJob(lab.name, session.name, session.nwbfile_name, request.spec_yaml, name, options)
                for session in spec.sessions
            ]
        )
        return pb.SubmitResponse(jobs=[to_proto(job) for job in jobs])

    @_as_lab
    def Get(self, request: pb.GetRequest, context: grpc.ServicerContext, lab: Lab) -> pb.Job:
        return to_proto(self._job(request.job_id, lab, context))

    @_as_lab
    def List(self, request: pb.ListRequest, context: grpc.ServicerContext, lab: Lab) -> pb.ListResponse:
        limit = min(request.limit or self._config.limits.list, self._config.limits.list)
        return pb.ListResponse(jobs=[to_proto(job) for job in self._store.list(lab.name, limit)])

    @_as_lab
    def Watch(self, request: pb.WatchRequest, context: grpc.ServicerContext, lab: Lab) -> Iterator[pb.Job]:
        job = self._job(request.job_id, lab, context)
        yield to_proto(job)
        while job.state not in FINAL_STATES and context.is_active():
            time.sleep(WATCH_POLL_SECONDS)
            current = self._store.get(request.job_id, lab.name)
            if current is not None and current.version != job.version:
                job = current
                yield to_proto(job)

    @_as_lab
    def Cancel(self, request: pb.CancelRequest, context: grpc.ServicerContext, lab: Lab) -> pb.Job:
        job = self._store.request_cancel(request.job_id, lab.name)
        if job is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no job {request.job_id}")
        return to_proto(job)

    @_as_lab
    def GetMetadata(
        self, request: pb.GetMetadataRequest, context: grpc.ServicerContext, lab: Lab
    ) -> pb.GetMetadataResponse:
        spec = self._spec(request.spec_yaml, "spec", lab)
        sessions = []
        with self._services_for(spec.interface_names) as services:
            for session in spec.sessions:
                with Converter(session.interfaces, services, alignment=session.alignment) as converter:
                    merged = merge_metadata([converter.get_metadata()], session.metadata)
                    sessions.append(
                        pb.SessionMetadata(
                            session=session.name,
                            nwbfile_name=session.nwbfile_name,
                            metadata_json=json.dumps(merged, default=str),
                            metadata_schema_json=json.dumps(converter.get_metadata_schema()),
                            alignment=describe(converter.applied_alignment()),
                        )
                    )
        return pb.GetMetadataResponse(sessions=sessions)

    @_as_lab
    def Upload(
        self, requests: Iterator[pb.UploadRequest], context: grpc.ServicerContext, lab: Lab
    ) -> Iterator[pb.UploadResponse]:
        yield from receive_upload(requests, lab.data_root, self._config.limits.upload_bytes)

    @_as_lab
    def Fetch(self, request: pb.FetchRequest, context: grpc.ServicerContext, lab: Lab) -> Iterator[pb.FetchChunk]:
        job = self._job(request.job_id, lab, context)
        if job.state != JobState.DONE or not job.output:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"job {job.id} is {job.state}: it has no output")
        yield from send_output(*self._output_as_named(job))

    @_as_lab
    def Detect(self, request: pb.DetectRequest, context: grpc.ServicerContext, lab: Lab) -> pb.DetectResponse:
        folder = resolve_in_root(lab.data_root, request.folder or ".")
        base = PurePosixPath(folder.relative_to(Path(lab.data_root).resolve()).as_posix())
        with self._services_for(None) as services:
            draft = draft_session(folder, services)
        return pb.DetectResponse(
            sources=[_proposed(source, base) for source in draft.contents.sources],
            unrecognised=draft.contents.unrecognised,
            notes=draft.contents.notes,
            missing=draft.missing,
            metadata_json=json.dumps(draft.metadata, default=str),
            metadata_schema_json=json.dumps(draft.schema),
            spec_yaml=draft.spec_text(base),
            nwbfile_name=draft.name,
        )

    @_as_lab
    def Browse(self, request: pb.BrowseRequest, context: grpc.ServicerContext, lab: Lab) -> pb.BrowseResponse:
        folder = resolve_in_root(lab.data_root, request.folder or ".")
        if not folder.is_dir():
            raise ConversionError(f"{request.folder}: not a folder")
        relative = folder.relative_to(Path(lab.data_root).resolve()).as_posix()
        return pb.BrowseResponse(folder="" if relative == "." else relative, entries=_entries(folder, lab.data_root))

    def _output_as_named(self, job: JobRecord) -> tuple[list[tuple[str, int]], Callable[[str, int, int], bytes]]:
        """The output's files under the job's nwbfile_name (a DANDI output is stored under DANDI's name), and how
        to read them."""
        stored = self._outputs.files(job.output)
        named = {job.nwbfile_name + relative[len(relative.split("/")[0]) :]: relative for relative, _ in stored}
        files = [(name, size) for name, (_, size) in zip(named, stored, strict=True)]
        return files, lambda name, offset, size: self._outputs.read(job.output, named[name], offset, size)
