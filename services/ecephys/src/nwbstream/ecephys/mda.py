"""MountainSort's `firings.mda`: one column per spike of (peak channel, sample index, unit label)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import HEADER, relative

from .sorting import BaseSortingInterface

# MDA data type codes (int32, negative) and their bytes per entry, as MountainLab's mdaio defines them.
MDA_TYPES = {-2: 1, -3: 4, -4: 2, -5: 4, -6: 2, -7: 8, -8: 4, -9: 8}

PEAK_CHANNEL_DESCRIPTION = (
    "1-based position of the unit's peak channel among the channels given to MountainSort (row 0 of "
    "firings.mda): an index into the sorter's input, neither a channel id nor a row of the electrodes table."
)


class MdaSortingInterface(BaseSortingInterface):
    display_name = "MountainSort Sorting"
    associated_suffixes = (".mda",)
    info = "Interface for MountainSort sorting data from firings.mda."
    property_descriptions: ClassVar[dict[str, str]] = {"mda_peak_channel": PEAK_CHANNEL_DESCRIPTION}

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """.mda arrays whose header says 3 x L (channel, sample index, unit of each spike): a firings array."""
        return [
            Detection(
                cls.__name__,
                {"file_path": relative(f)},
                (str(f),),
                HEADER,
                f"{f}: MDA header, a 3 x {spikes} firings array",
                todo={"sampling_frequency": "the sorted recording's sampling rate in Hz (firings.mda has none)"},
            )
            for f in listing.with_suffix(".mda")
            if (spikes := firings_length(listing.head(f, 28))) is not None
        ]

    def __init__(self, file_path: Path, sampling_frequency: int, verbose: bool = True):
        """
        Parameters
        ----------
        file_path : Path
            Path to the firings.mda file.
        sampling_frequency : int
            The sampling rate of the sorted recording, in Hz (firings.mda holds sample indices only).
        """
        from spikeinterface.extractors.extractor_classes import read_mda_sorting

        check_firings(Path(file_path))
        self.sorting = read_mda_sorting(file_path=Path(file_path), sampling_frequency=sampling_frequency)
        # Renamed so nothing takes it for an electrodes row; dropped when MountainSort did not track it (all 0).
        peak = np.asarray(self.sorting.get_property("max_channel"))
        self.sorting.delete_property("max_channel")
        if np.any(peak != 0):
            self.sorting.set_property("mda_peak_channel", peak)


def firings_length(head: bytes) -> int | None:
    """The number of spikes an MDA header announces for a 3 x L array; None for any other array or no MDA."""
    if len(head) < 12:
        return None
    code, size, n_dims = np.frombuffer(head[:12], dtype="<i4")
    dims = np.frombuffer(head[12 : 12 + 2 * (8 if n_dims < 0 else 4)], dtype="<i8" if n_dims < 0 else "<i4")
    if int(code) not in MDA_TYPES or int(size) != MDA_TYPES[int(code)] or abs(int(n_dims)) != 2 or len(dims) != 2:
        return None
    return int(dims[1]) if dims[0] == 3 else None


def check_firings(path: Path) -> None:
    """The MDA header (type code, bytes per entry, number of dimensions, the dimensions) and a size that holds
    exactly the 3 x L array it announces; spikeinterface's reader returns nothing on a bad file."""
    head = np.fromfile(path, dtype="<i4", count=3)
    if head.size < 3 or int(head[0]) not in MDA_TYPES or int(head[1]) != MDA_TYPES[int(head[0])]:
        raise SourceError(f"{path}: not an MDA array (no valid type code and entry size at its start)")
    n_dims = abs(int(head[2]))  # MountainLab writes a negative count when the dimensions are int64
    dims = np.fromfile(path, dtype="<i8" if head[2] < 0 else "<i4", count=n_dims, offset=12)
    header = 12 + dims.nbytes
    expected = header + int(np.prod(dims)) * int(head[1])
    if n_dims != 2 or dims[0] != 3 or path.stat().st_size != expected:
        raise SourceError(
            f"{path}: truncated or not a firings array: dimensions {dims.tolist()}, "
            f"{path.stat().st_size} bytes for the {expected} they need"
        )
