"""Claiming files: what an interface recognises in a session folder, from names, companions and header bytes.

Detection never reads a whole file: a FolderListing holds the folder's file names (walked once, bounded) and reads
at most a file's first bytes. Each interface claims what it reads (`BaseDataInterface.detect`); the coordinator
resolves overlaps between interfaces and services from the files each claim covers and its confidence.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

MAX_FILES = 20_000  # a session folder, not a data store: past this the walk stops and says so
MAX_DEPTH = 8
HEAD_BYTES = 64 * 1024  # the most any claim reads of one file

# Confidence, by the evidence behind a claim (the coordinator keeps the higher of two claims on the same files).
HEADER = 0.95  # magic bytes or header fields read and understood
LAYOUT = 0.85  # the format's own layout: named files and companions that only it writes
SUFFIX = 0.6  # a file ending the format uses, nothing more
GENERIC = 0.3  # a file any program writes (.csv, .txt, .avi): a guess a richer interface overrides


@dataclass(frozen=True)
class Detection:
    """One source an interface proposes: its source_data (paths relative to the folder), what it claims and why."""

    interface: str
    source_data: dict[str, Any]
    files: tuple[str, ...]  # the files (relative, POSIX; or part_of one) this source is made of: overlaps are on them
    confidence: float
    evidence: str
    name: str = ""  # a short key for the spec's data_interfaces (e.g. "imec0_ap"); default from the interface
    todo: dict[str, str] = field(default_factory=dict)  # required arguments no file states -> what to give


@dataclass
class FolderListing:
    """A session folder's files, walked once; heads read on demand and kept."""

    root: Path
    files: tuple[PurePosixPath, ...]
    truncated: bool = False
    unreadable: list[str] = field(default_factory=list)  # entries the walk or a head read could not open
    _heads: dict[PurePosixPath, bytes] = field(default_factory=dict, repr=False)

    @classmethod
    def walk(cls, root: Path) -> FolderListing:
        found: list[PurePosixPath] = []
        unreadable: list[str] = []
        truncated = False

        def refused(error: OSError) -> None:
            unreadable.append(f"{Path(error.filename).relative_to(root)}: {error.strerror}")

        for folder, folders, names in os.walk(root, onerror=refused):
            here = Path(folder).relative_to(root)
            if len(here.parts) >= MAX_DEPTH:
                folders.clear()
            folders.sort()
            for name in sorted(names):
                if len(found) >= MAX_FILES:
                    truncated = True
                    break
                file = PurePosixPath(*here.parts, name)
                problem = _not_readable(Path(folder) / name)
                if problem:
                    unreadable.append(f"{file}: {problem}")
                else:
                    found.append(file)
            if truncated:
                break
        return cls(root, tuple(found), truncated, unreadable)

    def path(self, relative: PurePosixPath | str) -> Path:
        return self.root / relative

    def with_suffix(self, *suffixes: str) -> list[PurePosixPath]:
        """Files whose name ends with one of `suffixes` (case-insensitive, multi-part: ".ap.bin")."""
        wanted = tuple(s.lower() for s in suffixes)
        return [f for f in self.files if f.name.lower().endswith(wanted)]

    def named(self, *names: str) -> list[PurePosixPath]:
        """Files called exactly one of `names` (case-insensitive), anywhere below the root."""
        wanted = {n.lower() for n in names}
        return [f for f in self.files if f.name.lower() in wanted]

    def in_folder(self, folder: PurePosixPath) -> list[PurePosixPath]:
        """The files directly in `folder` (relative; "." for the root)."""
        return [f for f in self.files if f.parent == folder]

    def below(self, folder: PurePosixPath) -> list[PurePosixPath]:
        """Every file under `folder`, at any depth."""
        if folder == PurePosixPath("."):
            return list(self.files)
        return [f for f in self.files if folder in f.parents]

    def sibling(self, file: PurePosixPath, name: str) -> PurePosixPath | None:
        """`name` beside `file`, when it exists (case-sensitive, as readers open it)."""
        candidate = file.parent / name
        return candidate if candidate in self._file_set else None

    def head(self, file: PurePosixPath, size: int = 512) -> bytes:
        """The first `size` bytes of `file` (at most HEAD_BYTES); b"" when it cannot be read (noted)."""
        size = min(size, HEAD_BYTES)
        cached = self._heads.get(file)
        if cached is not None and len(cached) >= size:
            return cached[:size]
        try:
            with open(self.root / file, "rb") as handle:
                data = handle.read(size)
        except OSError as error:
            self.unreadable.append(f"{file}: {error.strerror}")
            data = b""
        self._heads[file] = data
        return data

    def text_head(self, file: PurePosixPath, size: int = 4096) -> str:
        return self.head(file, size).decode("utf-8", errors="replace")

    def size(self, file: PurePosixPath) -> int:
        try:
            return (self.root / file).stat().st_size
        except OSError:
            return -1

    @cached_property
    def _file_set(self) -> frozenset[PurePosixPath]:
        return frozenset(self.files)


def _not_readable(path: Path) -> str:
    """Why a listed name cannot be read as a file ("" when it can): a link to nothing, a FIFO or device (whose
    read would wait for ever), a file this process may not read."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return f"cannot be opened ({error.strerror})"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device)"
    if not os.access(path, os.R_OK):
        return "not readable (permission denied)"
    return ""


def relative(path: PurePosixPath) -> str:
    """A claimed path as source_data carries it ("." for the root folder)."""
    return str(path) or "."


def part_of(file: PurePosixPath | str, part: str) -> str:
    """What a claim on part of a file names ("<file>#<part>"): a stream or channel subset of a file other interfaces
    read other parts of (a .plx's wideband and low-pass streams, an Intan file's signal types), so that they do not
    compete; the file counts as recognised when any part of it is claimed."""
    return f"{file}#{part}"


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HDF5_OFFSETS = (0, 512, 1024)  # HDF5 may follow a user block (MATLAB 7.3 files keep a 512-byte text header there)


def is_hdf5(listing: FolderListing, file: PurePosixPath) -> bool:
    """The file starts with HDF5's signature, at its start or after a user block."""
    head = listing.head(file, 2048)
    return any(head[offset : offset + 8] == HDF5_SIGNATURE for offset in HDF5_OFFSETS)


def claim_files(
    interface: str,
    files: Iterable[PurePosixPath],
    confidence: float,
    evidence: str,
    *,
    argument: str = "file_path",
    extra: dict[str, Any] | None = None,
) -> list[Detection]:
    """One detection per file, the file as `argument`: the common case of a one-file format."""
    return [
        Detection(interface, {argument: relative(f), **(extra or {})}, (str(f),), confidence, f"{f}: {evidence}")
        for f in files
    ]
