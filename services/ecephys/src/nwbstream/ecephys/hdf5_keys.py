"""The top-level names of an HDF5 file, for telling apart the formats that all end in .h5 (MaxOne, MEArec).

Here, not in services/common, which may not depend on HDF5 libraries (tests/test_layering.py)."""

from __future__ import annotations

from pathlib import PurePosixPath

from nwbstream.service import FolderListing
from nwbstream.service.detection import is_hdf5


def hdf5_keys(listing: FolderListing, file: PurePosixPath) -> set[str]:
    """The names at the file's root (the superblock and root group only are read), or none when it is not HDF5."""
    if not is_hdf5(listing, file):
        return set()
    import h5py

    try:
        with h5py.File(listing.path(file), "r") as handle:
            return set(handle.keys())
    except OSError:
        return set()
