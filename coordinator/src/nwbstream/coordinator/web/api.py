"""The page's HTTP endpoints: each one call of the conversion service's gRPC API, made with the token the request
carries, so that every rule (whose jobs, which paths) is the gRPC API's own. gRPC's refusals become HTTP statuses
with the server's message."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
from anyio import to_thread
from nwbstream.v1 import conversion_pb2 as pb
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ConversionError
from ..server.client import CallRefused, ConversionClient
from .submission import submission_spec

STATIC = Path(__file__).parent / "static"
STATUSES = {
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
}
NO_TOKEN = "sign in: this needs the lab's token (Authorization: Bearer TOKEN)"
WRONG_TOKEN = "the token is not a lab's"
T = TypeVar("T")


def job_json(job: pb.Job) -> dict[str, Any]:
    """A job as the page reads it: the state in words, the report and DANDI's record as objects."""
    return {
        "id": job.id,
        "state": pb.JobState.Name(job.state).removeprefix("JOB_STATE_").lower(),
        "session": job.session,
        "nwbfile_name": job.nwbfile_name,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "bytes_done": job.bytes_done,
        "bytes_total": job.bytes_total,
        "attempts": job.attempts,
        "error": job.error,
        "output": job.output,
        "report": json.loads(job.report_json) if job.report_json else None,
        "cancel_requested": job.cancel_requested,
        "dandi": json.loads(job.dandi_json) if job.dandi_json else None,
    }


def _token(headers: Headers) -> str:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class TokenRequired:
    """Every /api/ request without a bearer token is answered 401 before anything else happens."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/") and not _token(Headers(scope=scope)):
            await JSONResponse({"error": NO_TOKEN}, 401, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


class WebApi:
    """The endpoints, calling the conversion service at `address` (the coordinator's own gRPC server)."""

    def __init__(self, address: str) -> None:
        self.address = address

    def _client(self, request: Request) -> ConversionClient:
        return ConversionClient(self.address, _token(request.headers))

    async def _call(self, request: Request, call: Callable[[ConversionClient], T]) -> T:
        def run() -> T:
            with self._client(request) as client:
                return call(client)

        return await run_in_threadpool(run)

    async def jobs(self, request: Request) -> Response:
        jobs = await self._call(request, lambda client: client.list())
        return JSONResponse([job_json(job) for job in jobs])

    async def job(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        return JSONResponse(job_json(await self._call(request, lambda client: client.get(job_id))))

    async def cancel(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        return JSONResponse(job_json(await self._call(request, lambda client: client.cancel(job_id))))

    async def events(self, request: Request) -> Response:
        """Server-sent events: the job now, then at each change of state or progress, until its final state. A
        refusal (wrong token, no such job) is an HTTP error, as for the other endpoints. A page that goes away
        closes the gRPC stream at once, rather than leaving a thread waiting for the job's next change."""
        client = self._client(request)
        watch = client.watch(request.path_params["job_id"])

        async def following() -> pb.Job | None:
            return await to_thread.run_sync(next, watch, None, abandon_on_cancel=True)

        try:
            first = await following()
        except BaseException:
            client.close()
            raise

        async def events() -> AsyncIterator[str]:
            try:
                job = first
                while job is not None:
                    yield f"data: {json.dumps(job_json(job))}\n\n"
                    job = await following()
            except ConversionError as error:
                yield f"event: failure\ndata: {json.dumps({'error': str(error)})}\n\n"
            finally:
                client.close()

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    async def download(self, request: Request) -> Response:
        """The job's output fetched (checksums checked) into a temporary folder, sent as one file (a Zarr store as a
        zip archive), then removed."""
        job_id = request.path_params["job_id"]
        folder = Path(tempfile.mkdtemp(prefix="nwbstream-web-"))
        try:
            await self._call(request, lambda client: client.fetch(job_id, folder))
            (output,) = folder.iterdir()
            if output.is_dir():
                output = Path(await run_in_threadpool(shutil.make_archive, str(output), "zip", folder, output.name))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return FileResponse(output, filename=output.name, background=BackgroundTask(shutil.rmtree, folder, True))

    async def browse(self, request: Request) -> Response:
        found = await self._call(request, lambda client: client.browse(request.query_params.get("folder", "")))
        entries = [{"name": e.name, "is_folder": e.is_folder, "size": e.size} for e in found.entries]
        return JSONResponse({"folder": found.folder, "entries": entries})

    async def detect(self, request: Request) -> Response:
        found = await self._call(request, lambda client: client.detect(request.query_params.get("folder", "")))
        return JSONResponse(
            {
                "sources": [_source_json(source) for source in found.sources],
                "unrecognised": list(found.unrecognised),
                "notes": list(found.notes),
                "missing": list(found.missing),
                "metadata": json.loads(found.metadata_json),
                "schema": json.loads(found.metadata_schema_json),
                "spec_yaml": found.spec_yaml,
                "nwbfile_name": found.nwbfile_name,
            }
        )

    async def submit(self, request: Request) -> Response:
        """{"spec_yaml": Detect's draft, "metadata": the form's, "sources": {key: {interface_name, source_data}},
        "stub": bool} -> the session's job."""
        try:
            given = await request.json()
            spec = submission_spec(given["spec_yaml"], given["metadata"], given["sources"])
        except (ValueError, KeyError, TypeError) as error:
            return JSONResponse({"error": f"the submission: expected spec_yaml, metadata and sources ({error})"}, 400)
        except ConversionError as error:
            return JSONResponse({"error": str(error)}, 400)
        stub = bool(given.get("stub"))
        jobs = await self._call(request, lambda client: client.submit(spec, "web.yml", stub=stub))
        return JSONResponse([job_json(job) for job in jobs])


def _source_json(source: pb.ProposedSource) -> dict[str, Any]:
    return {
        "key": source.key,
        "interface_name": source.interface_name,
        "modality": source.modality,
        "source_data": json.loads(source.source_data_json),
        "confidence": source.confidence,
        "evidence": source.evidence,
        "todo": dict(source.todo),
        "alternatives": [_source_json(alternative) for alternative in source.alternatives],
    }


async def _refused(request: Request, error: Exception) -> Response:
    """A refusal of the gRPC API in the status it stands for; the client's other errors say the service is out of
    reach."""
    if isinstance(error, CallRefused):
        message = WRONG_TOKEN if error.code is grpc.StatusCode.UNAUTHENTICATED else error.details or str(error)
        return JSONResponse({"error": message}, STATUSES.get(error.code, 502))
    return JSONResponse({"error": str(error)}, 503)


def web_app(address: str) -> Starlette:
    """The page (/ and /static/) and its endpoints (/api/), calling the conversion service at `address`."""
    api = WebApi(address)
    routes = [
        Route("/", lambda request: FileResponse(STATIC / "index.html")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/api/jobs", api.jobs),
        Route("/api/jobs/{job_id}", api.job),
        Route("/api/jobs/{job_id}/events", api.events),
        Route("/api/jobs/{job_id}/cancel", api.cancel, methods=["POST"]),
        Route("/api/jobs/{job_id}/download", api.download),
        Route("/api/browse", api.browse),
        Route("/api/detect", api.detect),
        Route("/api/submit", api.submit, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={ConversionError: _refused})
    app.add_middleware(TokenRequired)
    return app
