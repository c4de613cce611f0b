"""What ophys formats recognise in a folder's first bytes: HDF5 and TIFF signatures, CSV header rows, HDF5 keys.

Several ophys sources read the same file (a .doric file's photometry streams and its digital lines, a .ppd's
signals and its inputs): the first claims the file, the others ride along (`companion`, no files of their own), so
overlap resolution keeps them all instead of listing the others as alternatives.
"""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import PurePosixPath

from nwbstream.service import Detection, FolderListing, part_of
from nwbstream.service.detection import HEAD_BYTES, is_hdf5

TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, either byte order
# a column of sample times: Time, Time(s), timestamps, Timestamp (not start_time / stop_time: those are intervals)
TIME_COLUMN = re.compile(r"^(time|timestamps?)\s*(\(\w+\))?$", re.IGNORECASE)


def hdf5_keys(listing: FolderListing, file: PurePosixPath) -> set[str]:
    """The top-level names of an HDF5 file (its superblock and root group only, no data read); none when it is not
    one, or h5py cannot open it (noted). Tells apart the formats that share an ending (.h5, .mat, .hdf5). Here, not in
    services/common, which may not depend on HDF5 libraries (tests/test_layering.py)."""
    if not is_hdf5(listing, file):
        return set()
    import h5py

    try:
        with h5py.File(listing.path(file), "r") as handle:
            return set(handle.keys())
    except (OSError, ValueError):
        listing.unreadable.append(f"{file}: HDF5 signature but h5py cannot open it")
        return set()


def is_tiff(listing: FolderListing, file: PurePosixPath) -> bool:
    return listing.head(file, 4) in TIFF_SIGNATURES


def tiff_files(listing: FolderListing) -> list[PurePosixPath]:
    return [f for f in listing.with_suffix(".tif", ".tiff") if is_tiff(listing, f)]


def csv_rows(listing: FolderListing, file: PurePosixPath, count: int = 2) -> list[list[str]]:
    """The first `count` rows of a CSV file (from its first 4 KiB), cells stripped."""
    lines = listing.text_head(file).splitlines()[:count]
    return [[cell.strip() for cell in row] for row in csv.reader(lines)]


def time_column(header: list[str]) -> str | None:
    """The column of a header row that names a time, if any."""
    return next((name for name in header if TIME_COLUMN.match(name)), None)


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def tail(listing: FolderListing, file: PurePosixPath, size: int = 4096) -> bytes:
    """The last `size` bytes of `file` (at most HEAD_BYTES), for formats whose header is a footer."""
    size = min(size, HEAD_BYTES)
    try:
        with open(listing.path(file), "rb") as handle:
            handle.seek(max(0, listing.size(file) - size))
            return handle.read(size)
    except OSError as error:
        listing.unreadable.append(f"{file}: {error.strerror}")
        return b""


def companion(claim: Detection, interface: str, evidence: str) -> Detection:
    """Another source read from `claim`'s files, which `claim` keeps: it claims its part of them, so both are kept."""
    return Detection(
        interface,
        {k: v for k, v in claim.source_data.items() if k in ("file_path", "folder_path")},
        tuple(part_of(f, interface) for f in claim.files),
        claim.confidence,
        f"{evidence} (read from {', '.join(claim.files)}, claimed by {claim.interface})",
    )


def companions_of(claims: list[Detection], interface: str, what: str) -> list[Detection]:
    """One companion per source whose claims hold whole files (not riding_along's later streams): the events read
    from the same file or block ("<path>: <what>")."""
    return [
        companion(claim, interface, f"{claim.source_data.get('file_path') or claim.source_data['folder_path']}: {what}")
        for claim in claims
        if claim.files and not any("#" in f for f in claim.files)
    ]


def riding_along(claims: list[Detection]) -> list[Detection]:
    """Sources of one file, each its own stream: the first claims the file, the others their part of it."""
    return claims[:1] + [
        replace(
            c,
            files=tuple(part_of(f, c.name or c.interface) for f in c.files),
            evidence=f"{c.evidence} (file claimed with {claims[0].name})",
        )
        for c in claims[1:]
    ]
