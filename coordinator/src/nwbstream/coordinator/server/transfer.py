"""Copying folders between a rig and the conversion service: Upload (rig → lab's data root) and Fetch (job output →
rig), in pieces of PIECE_BYTES so that memory stays bounded whatever the file sizes.

Both directions check every file's size and SHA-256 before it appears under its final name. An upload keeps what
arrived under the lab's data root in `.nwbstream-upload/<name>/` (one file per manifest entry, named after the entry),
so that the next Upload of the same folder resumes where the last one stopped; nothing is written through a symbolic
link, and a file that already exists in the target folder must be identical to the uploaded one (an upload never
replaces a file: upload a changed folder under another name).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from nwbstream.v1 import conversion_pb2 as pb

from ..errors import ConversionError

PIECE_BYTES = 3 * 2**20  # one message, under gRPC's default limit of 4 MiB whatever the path's length
STAGING = ".nwbstream-upload"  # under the lab's data root
_LOCK = ".lock"  # in a folder's staging area, held while an Upload of that folder runs
LOCK_WAIT_SECONDS = 5.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_folder_name(name: str) -> str:
    """`name` when it is one plain folder name (no separator, not hidden, not `.`/`..`)."""
    if (
        not name
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or _CONTROL.search(name)
        or len(name.encode()) > 255
    ):
        raise ConversionError(
            f"upload name {name!r}: give one folder name (no '/' or '\\', not starting with '.', at most 255 bytes)"
        )
    return name


def relative_parts(path: str) -> tuple[str, ...]:
    """The components of `path`, a relative path with '/' separators that stays inside its folder."""
    parts = tuple(path.split("/"))
    if not path or "\\" in path or _CONTROL.search(path) or any(part in ("", ".", "..") for part in parts):
        raise ConversionError(f"{path!r}: not a relative path inside the folder ('/' separators, no '..')")
    return parts


def sha256_file(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@contextlib.contextmanager
def _os_errors(where: str) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        raise ConversionError(f"{where}: {error.strerror or error}") from None


# ---------------------------------------------------------------------------------------------------------------------
# Upload, server side


@dataclass
class _Incoming:
    """One manifest entry: where it goes, where its bytes wait, and how many of them arrived."""

    entry: pb.UploadFile
    target: Path
    part: Path
    held: int
    in_place: bool  # the target already holds this very file


def receive_upload(requests: Iterable[pb.UploadRequest], root: Path, limit_bytes: int) -> Iterator[pb.UploadResponse]:
    """The server's side of Upload into `root` (a lab's data root): answers the manifest with the bytes already held
    of each file, writes the pieces that follow, then checks and places the files and answers `complete`. Bad input
    raises ConversionError; what arrived stays staged for a resumed upload, except a file that failed its checksum."""
    requests = iter(requests)
    first = next(requests, None)
    if first is None or first.WhichOneof("part") != "manifest":
        raise ConversionError("upload: the first message must be the manifest")
    with _UploadArea(root, first.manifest, limit_bytes) as area:
        yield pb.UploadResponse(offsets=area.offsets())
        for request in requests:
            if request.WhichOneof("part") != "data":
                raise ConversionError(f"upload {area.name}: only data may follow the manifest")
            area.write(request.data)
        area.finish()
        yield pb.UploadResponse(offsets=area.offsets(), complete=True, folder=area.name)


class _UploadArea:
    """One folder's upload: its checked manifest, its staging area (locked against a concurrent Upload of the same
    folder), and the one staged file open for writing."""

    def __init__(self, root: Path, manifest: pb.UploadManifest, limit_bytes: int) -> None:
        self.name = check_folder_name(manifest.name)
        self.root = root.resolve()
        self._lock_file: TextIO | None = None
        self._writing: tuple[str, int] | None = None  # path and descriptor of the staged file being written
        self.staging = self._unlinked(STAGING, self.name)
        self.files = {entry.path: self._incoming(entry) for entry in self._checked_entries(manifest, limit_bytes)}
        with _os_errors(f"upload {self.name}: cannot prepare its staging area"):
            self.staging.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(self.staging / _LOCK, "a")  # noqa: SIM115 (held until close())
        try:
            self._lock()
            with _os_errors(f"upload {self.name}: cannot read its staging area"):
                for incoming in self.files.values():
                    incoming.held = self._held(incoming)
                self._discard_stale_parts()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> _UploadArea:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._close_writing()
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None

    def _lock(self) -> None:
        """Waits a little for an upload of the same folder that is ending (a client retrying at once after an
        interruption), then refuses."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ConversionError(f"upload {self.name}: another upload of this folder is running") from None
                time.sleep(0.05)

    def _checked_entries(self, manifest: pb.UploadManifest, limit_bytes: int) -> list[pb.UploadFile]:
        if not manifest.files:
            raise ConversionError(f"upload {self.name}: the manifest lists no file")
        seen: set[str] = set()
        folders: set[str] = set()
        for entry in manifest.files:
            parts = relative_parts(entry.path)
            if entry.path in seen:
                raise ConversionError(f"upload {self.name}: {entry.path} is listed twice")
            if entry.size < 0 or not _SHA256.match(entry.sha256):
                raise ConversionError(f"upload {self.name}: {entry.path}: needs a size >= 0 and a hex SHA-256")
            seen.add(entry.path)
            folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
        both = sorted(seen & folders)
        if both:
            raise ConversionError(f"upload {self.name}: {both[0]} is listed as a file and as a folder")
        total = sum(entry.size for entry in manifest.files)
        if total > limit_bytes:
            raise ConversionError(f"upload {self.name}: {total} bytes exceed the server's limit of {limit_bytes}")
        return list(manifest.files)

    def _unlinked(self, *parts: str) -> Path:
        """root/parts..., refused when a symbolic link lies on the way (it could lead out of the root)."""
        path = self.root.joinpath(*parts)
        try:
            linked = path.resolve() != path
        except (OSError, RuntimeError):  # a loop of links
            linked = True
        if linked:
            raise ConversionError(
                f"upload {self.name}: {'/'.join(parts)} passes through a symbolic link; uploads write through none"
            )
        return path

    def _incoming(self, entry: pb.UploadFile) -> _Incoming:
        target = self._unlinked(self.name, *relative_parts(entry.path))
        key = hashlib.sha256(f"{entry.path}\0{entry.size}\0{entry.sha256}".encode()).hexdigest()
        in_place = self._in_place(entry, target)
        return _Incoming(entry, target, self.staging / f"{key}.part", entry.size if in_place else 0, in_place)

    def _held(self, incoming: _Incoming) -> int:
        """Bytes of the file already staged: a beginning of it, or all of it once its checksum matches."""
        if incoming.in_place or not incoming.part.exists():
            return incoming.held
        held = incoming.part.stat().st_size
        if held > incoming.entry.size or (
            held == incoming.entry.size and sha256_file(incoming.part) != incoming.entry.sha256
        ):
            incoming.part.unlink()  # not a beginning of this file: start again
            return 0
        return held

    def _in_place(self, entry: pb.UploadFile, target: Path) -> bool:
        """Whether the target already holds this file; a different file there is an error (never replaced)."""
        with _os_errors(f"upload {self.name}: {entry.path}"):
            if not target.exists():
                return False
            if target.is_file() and target.stat().st_size == entry.size and sha256_file(target) == entry.sha256:
                return True
        raise ConversionError(
            f"upload {self.name}: {entry.path} exists there with other content; "
            "remove it or upload the folder under another name"
        )

    def _discard_stale_parts(self) -> None:
        """Staged files of an earlier manifest of this folder that this one no longer lists."""
        expected = {incoming.part.name for incoming in self.files.values()} | {_LOCK}
        for path in self.staging.iterdir():
            if path.name not in expected:
                path.unlink()

    def offsets(self) -> list[pb.UploadOffset]:
        return [pb.UploadOffset(path=path, offset=incoming.held) for path, incoming in self.files.items()]

    def write(self, data: pb.UploadData) -> None:
        incoming = self.files.get(data.path)
        if incoming is None:
            raise ConversionError(f"upload {self.name}: {data.path!r} is not in the manifest")
        where = f"upload {self.name}: {data.path}"
        if incoming.in_place:
            raise ConversionError(f"{where}: already complete, yet more data came")
        if data.offset < 0 or data.offset > incoming.held:
            raise ConversionError(f"{where}: data at offset {data.offset}, but only {incoming.held} bytes are held")
        end = data.offset + len(data.data)
        if end > incoming.entry.size:
            raise ConversionError(f"{where}: data up to byte {end}, beyond its size of {incoming.entry.size}")
        with _os_errors(where):
            descriptor = self._descriptor(data.path, incoming.part)
            view, offset = memoryview(data.data), data.offset
            while view:
                written = os.pwrite(descriptor, view, offset)
                view, offset = view[written:], offset + written
        incoming.held = max(incoming.held, end)

    def _descriptor(self, path: str, part: Path) -> int:
        """The staged file of `path`, open for writing (one at a time: the client sends file after file), unbuffered
        so that its size on disk is what arrived."""
        if self._writing is None or self._writing[0] != path:
            self._close_writing()
            self._writing = (path, os.open(part, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644))
        return self._writing[1]

    def _close_writing(self) -> None:
        if self._writing is not None:
            os.close(self._writing[1])
            self._writing = None

    def finish(self) -> None:
        """Every file checked, then all placed under root/name; a file that does not match its checksum is
        discarded (the next upload sends it again) and nothing is placed."""
        self._close_writing()
        problems = []
        for path, incoming in self.files.items():
            if incoming.in_place:
                continue
            if incoming.held != incoming.entry.size:
                problems.append(f"{path}: {incoming.held} of {incoming.entry.size} bytes arrived")
                continue
            with _os_errors(f"upload {self.name}: {path}"):
                if incoming.entry.size == 0:  # no data message makes an empty file
                    self._descriptor(path, incoming.part)
                    self._close_writing()
                digest = sha256_file(incoming.part)
                if digest != incoming.entry.sha256:
                    incoming.part.unlink()
                    incoming.held = 0
                    problems.append(f"{path}: SHA-256 {digest} differs from the manifest's {incoming.entry.sha256}")
        if problems:
            raise ConversionError(f"upload {self.name}: nothing placed; " + "; ".join(problems))
        for path, incoming in self.files.items():
            # checked again: the folder may have changed while the data arrived
            incoming.target = self._unlinked(self.name, *relative_parts(path))
            if incoming.in_place or self._in_place(incoming.entry, incoming.target):
                continue
            with _os_errors(f"upload {self.name}: cannot place {path}"):
                incoming.target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(incoming.part, incoming.target)
            incoming.in_place = True
            incoming.held = incoming.entry.size
        with contextlib.suppress(OSError):
            (self.staging / _LOCK).unlink()
            self.staging.rmdir()
            self.staging.parent.rmdir()  # only when no other upload is staged


# ---------------------------------------------------------------------------------------------------------------------
# Fetch, server side


def send_output(
    files: list[tuple[str, int]], read: Callable[[str, int, int], bytes], piece: int = PIECE_BYTES
) -> Iterator[pb.FetchChunk]:
    """The chunks of Fetch: each (path, size) of `files` read with `read(path, offset, length)` in pieces, its last
    piece carrying its size and SHA-256 (an empty file is one empty last piece)."""
    for path, size in files:
        digest = hashlib.sha256()
        offset = 0
        while True:
            length = min(piece, size - offset)
            data = read(path, offset, length) if length else b""
            if len(data) > length or (length and not data):
                raise ConversionError(f"{path}: read {len(data)} bytes at offset {offset} of its {size}")
            digest.update(data)
            last = offset + len(data) == size
            yield pb.FetchChunk(
                path=path,
                offset=offset,
                data=data,
                end_of_file=last,
                size=size if last else 0,
                sha256=digest.hexdigest() if last else "",
            )
            offset += len(data)
            if last:
                break


# ---------------------------------------------------------------------------------------------------------------------
# Upload, client side


@dataclass(frozen=True)
class _LocalFile:
    path: str  # relative, '/' separators
    source: Path
    size: int
    sha256: str


def upload_folder(
    stub_call: Callable[[Iterator[pb.UploadRequest]], Iterator[pb.UploadResponse]], folder: Path, name: str
) -> str:
    """Uploads `folder` as `name` through `stub_call` (the Upload call: requests in, responses out), sending only what
    the server does not hold yet; returns the folder name to use in specs. gRPC errors propagate as they are."""
    name = check_folder_name(name)
    files = local_files(folder)
    manifest = pb.UploadManifest(
        name=name, files=[pb.UploadFile(path=file.path, size=file.size, sha256=file.sha256) for file in files]
    )
    held = _Answer()

    def requests() -> Iterator[pb.UploadRequest]:
        yield pb.UploadRequest(manifest=manifest)
        offsets = held.wait()
        if offsets is None:  # the call ended before answering
            return
        for file in files:
            yield from _pieces(file, offsets.get(file.path, 0))

    responses = stub_call(requests())
    last = None
    try:
        for response in responses:
            if last is None:
                held.give({offset.path: offset.offset for offset in response.offsets})
            last = response
    finally:
        held.give(None)
    if last is None or not last.complete:
        raise ConversionError(f"upload {name}: the server ended the upload without confirming it")
    return last.folder


class _Answer:
    """The server's first answer, handed from the thread reading responses to the one sending requests."""

    def __init__(self) -> None:
        self._given = threading.Event()
        self._value: dict[str, int] | None = None

    def give(self, value: dict[str, int] | None) -> None:
        if not self._given.is_set():
            self._value = value
            self._given.set()

    def wait(self) -> dict[str, int] | None:
        self._given.wait()
        return self._value


def local_files(folder: Path) -> list[_LocalFile]:
    """Every file under `folder` (links followed, each folder once), with its size and SHA-256, in path order."""
    if not folder.is_dir():
        raise ConversionError(f"{folder}: not a folder")
    found = []
    visited: set[tuple[int, int]] = set()
    for current, folders, names in os.walk(folder, followlinks=True):
        status = os.stat(current)
        if (status.st_dev, status.st_ino) in visited:  # a link back to a folder already walked
            folders.clear()
            continue
        visited.add((status.st_dev, status.st_ino))
        for file_name in names:
            source = Path(current, file_name)
            with _os_errors(str(source)):
                if not source.is_file():
                    raise ConversionError(f"{source}: not a regular file (a broken link, a device, a pipe?)")
                found.append(
                    _LocalFile(
                        source.relative_to(folder).as_posix(), source, source.stat().st_size, sha256_file(source)
                    )
                )
    if not found:
        raise ConversionError(f"{folder}: no file to upload")
    return sorted(found, key=lambda file: file.path)


def _pieces(file: _LocalFile, offset: int) -> Iterator[pb.UploadRequest]:
    with _os_errors(str(file.source)), open(file.source, "rb") as source:
        source.seek(offset)
        while offset < file.size:
            data = source.read(min(PIECE_BYTES, file.size - offset))
            if not data:
                raise ConversionError(f"{file.source}: shorter than when the upload began")
            yield pb.UploadRequest(data=pb.UploadData(path=file.path, offset=offset, data=data))
            offset += len(data)


# ---------------------------------------------------------------------------------------------------------------------
# Fetch, client side


def fetch_into(stream: Iterable[pb.FetchChunk], output_folder: Path) -> list[Path]:
    """Writes the Fetch stream's files into `output_folder` and returns what appeared there (the NWB file, or the
    Zarr store's folder). Everything arrives first in a hidden folder beside them and moves into place only once
    every file matches its size and SHA-256; on any error nothing new is left in `output_folder`, and an output
    already there is an error, never replaced."""
    with _os_errors(f"{output_folder}: cannot create the output folder"):
        output_folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".nwbstream-fetch-", dir=output_folder))
    try:
        outputs = _receive(stream, staging, output_folder)
        for top in outputs:
            _refuse_existing(output_folder / top)
        with _os_errors(f"{output_folder}: cannot move the fetched files into place"):
            for top in outputs:
                os.replace(staging / top, output_folder / top)
        return [output_folder / top for top in outputs]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _receive(stream: Iterable[pb.FetchChunk], staging: Path, output_folder: Path) -> list[str]:
    """The stream's files written under `staging`, each checked; returns the top-level names in order of arrival."""
    outputs: list[str] = []
    path = ""
    file = None
    digest = hashlib.sha256()
    written = 0
    try:
        for chunk in stream:
            if file is None:
                parts = relative_parts(chunk.path)
                if parts[0] not in outputs:
                    _refuse_existing(output_folder / parts[0])
                    outputs.append(parts[0])
                path, digest, written = chunk.path, hashlib.sha256(), 0
                with _os_errors(f"{output_folder}: cannot write {path}"):
                    staging.joinpath(*parts[:-1]).mkdir(parents=True, exist_ok=True)
                    file = open(staging.joinpath(*parts), "xb")  # noqa: SIM115 (closed at its end_of_file)
            elif chunk.path != path:
                raise ConversionError(f"fetch: {path} ended without its checksum (then came {chunk.path})")
            if chunk.offset != written:
                raise ConversionError(f"fetch: {path}: a piece at offset {chunk.offset}, expected {written}")
            with _os_errors(f"{output_folder}: cannot write {path}"):
                file.write(chunk.data)
            digest.update(chunk.data)
            written += len(chunk.data)
            if chunk.end_of_file:
                file.close()
                file = None
                if written != chunk.size or digest.hexdigest() != chunk.sha256:
                    raise ConversionError(
                        f"fetch: {path} arrived corrupted: {written} bytes with SHA-256 {digest.hexdigest()}, "
                        f"the server sent {chunk.size} bytes with SHA-256 {chunk.sha256}"
                    )
        if file is not None:
            raise ConversionError(f"fetch: the stream ended in the middle of {path}")
    finally:
        if file is not None:
            file.close()
    if not outputs:
        raise ConversionError("fetch: the server sent no file")
    return outputs


def _refuse_existing(path: Path) -> None:
    if path.exists() or path.is_symlink():
        raise ConversionError(f"{path} exists; remove it or fetch into another folder")
