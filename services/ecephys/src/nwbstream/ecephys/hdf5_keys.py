"""The top-level names of an HDF5 file, for telling apart the formats that all end in .h5 (MaxOne, MEArec)."""

from __future__ import annotations

from pathlib import PurePosixPath

from nwbstream.service import FolderListing

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def top_level_names(listing: FolderListing, file: PurePosixPath) -> set[str]:
    """The names at the file's root (the superblock and root group only are read), or none when it is not HDF5."""
    if listing.head(file, len(HDF5_MAGIC)) != HDF5_MAGIC:
        return set()
    import h5py

    try:
        with h5py.File(listing.path(file), "r") as handle:
            return set(handle.keys())
    except OSError:
        return set()
