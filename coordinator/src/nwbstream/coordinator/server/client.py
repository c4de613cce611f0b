"""The rig's side of the conversion service: a gRPC channel to the coordinator carrying the lab's token, with every
call of the contract as a method and every gRPC error turned into a ConversionError in words."""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
from nwbstream.v1 import conversion_pb2 as pb
from nwbstream.v1 import conversion_pb2_grpc as pb_grpc
from nwbstream.v1.transport import GRPC_OPTIONS

from ..errors import ConversionError
from ..tls import TLSFiles
from .transfer import fetch_into, upload_folder

CONNECT_SECONDS = 5.0  # a server that has not answered by then is reported unreachable


class CallRefused(ConversionError):
    """The server answered a call with an error: `code` says which kind, `details` is the server's own message
    (what a front end such as the web page passes on)."""

    def __init__(self, message: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


class ConversionClient:
    """`with ConversionClient("host:50051", token) as client: client.submit(spec_yaml)`; TLS when `tls_ca` (the CA
    that signed the server's certificate) is given, plaintext otherwise."""

    def __init__(self, server: str, token: str, tls_ca: Path | None = None) -> None:
        self.server = server
        self._metadata = (("authorization", f"Bearer {token}"),)
        if tls_ca is None:
            self._channel = grpc.insecure_channel(server, options=GRPC_OPTIONS)
        else:
            credentials = TLSFiles(ca=tls_ca).channel_credentials()
            self._channel = grpc.secure_channel(server, credentials, options=GRPC_OPTIONS)
        self._stub = pb_grpc.ConversionServiceStub(self._channel)
        self._connected = False

    def __enter__(self) -> ConversionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def submit(self, spec_yaml: str, spec_name: str = "", stub: bool = False, backend: str = "") -> list[pb.Job]:
        """One queued job per session of the spec, in the spec's order."""
        request = pb.SubmitRequest(spec_yaml=spec_yaml, spec_name=spec_name, stub=stub, backend=backend)
        return list(self._call(self._stub.Submit, request).jobs)

    def get(self, job_id: str) -> pb.Job:
        return self._call(self._stub.Get, pb.GetRequest(job_id=job_id), job_id)

    def list(self, limit: int = 0) -> list[pb.Job]:
        """The lab's jobs, newest first (at most `limit`; 0: the server's default)."""
        return list(self._call(self._stub.List, pb.ListRequest(limit=limit)).jobs)

    def watch(self, job_id: str) -> Iterator[pb.Job]:
        """The job now, then at each change of state or progress, until its final state."""
        self._connect()
        with self._errors(job_id):
            call = self._stub.Watch(pb.WatchRequest(job_id=job_id), metadata=self._metadata)
            try:
                yield from call
            finally:
                call.cancel()  # the caller stopped following: end the stream (no-op once it ended)

    def cancel(self, job_id: str) -> pb.Job:
        return self._call(self._stub.Cancel, pb.CancelRequest(job_id=job_id), job_id)

    def get_metadata(self, spec_yaml: str) -> list[pb.SessionMetadata]:
        return list(self._call(self._stub.GetMetadata, pb.GetMetadataRequest(spec_yaml=spec_yaml)).sessions)

    def detect(self, folder: str) -> pb.DetectResponse:
        """What `folder` (relative to the lab's data root) holds, and a drafted spec to fill and submit."""
        return self._call(self._stub.Detect, pb.DetectRequest(folder=folder))

    def browse(self, folder: str = "") -> pb.BrowseResponse:
        """The subfolders and files of `folder` (relative to the lab's data root; "": the root)."""
        return self._call(self._stub.Browse, pb.BrowseRequest(folder=folder))

    def upload(self, folder: Path, name: str | None = None) -> str:
        """Copies `folder` into the lab's data root as `name` (default: the folder's own name), resuming an upload
        that stopped; returns the folder name that specs' paths start with."""
        self._connect()
        with self._errors():
            return upload_folder(
                lambda requests: self._stub.Upload(requests, metadata=self._metadata),
                folder,
                name or folder.resolve().name,
            )

    def fetch(self, job_id: str, output_folder: Path) -> list[Path]:
        """The job's output written into `output_folder` (checked, complete or absent); returns the paths made."""
        self._connect()
        with self._errors(job_id):
            return fetch_into(self._stub.Fetch(pb.FetchRequest(job_id=job_id), metadata=self._metadata), output_folder)

    def _call(self, method, request, job_id: str = ""):
        self._connect()
        with self._errors(job_id):
            return method(request, metadata=self._metadata)

    def _connect(self) -> None:
        """Waits up to CONNECT_SECONDS for the channel: a server that is down or refuses the connection fails the
        call that follows at once, with gRPC's reason; one that never answers fails here."""
        if self._connected:
            return
        states: queue.SimpleQueue[grpc.ChannelConnectivity] = queue.SimpleQueue()
        self._channel.subscribe(states.put, try_to_connect=True)
        try:
            deadline = time.monotonic() + CONNECT_SECONDS
            while True:
                try:
                    state = states.get(timeout=max(deadline - time.monotonic(), 0))
                except queue.Empty:
                    raise ConversionError(
                        f"cannot reach {self.server}: no connection within {CONNECT_SECONDS:g} s"
                    ) from None
                if state is grpc.ChannelConnectivity.READY:
                    self._connected = True
                    return
                if state is grpc.ChannelConnectivity.TRANSIENT_FAILURE:
                    return
        finally:
            self._channel.unsubscribe(states.put)

    @contextlib.contextmanager
    def _errors(self, job_id: str = "") -> Iterator[None]:
        try:
            yield
        except grpc.RpcError as error:
            code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
            details = (error.details() if isinstance(error, grpc.Call) else "") or ""
            raise CallRefused(self._explain(code, details, job_id), code, details) from None

    def _explain(self, code: grpc.StatusCode, details: str, job_id: str) -> str:
        if code is grpc.StatusCode.UNAUTHENTICATED:
            return f"the server {self.server} refused the token" + (f" ({details})" if details else "")
        if code is grpc.StatusCode.NOT_FOUND and job_id:
            return f"no job {job_id}"
        if code is grpc.StatusCode.UNAVAILABLE:
            return f"cannot reach {self.server}: {details or 'unavailable'}"
        return details or f"{self.server}: {code.name.lower()}"
