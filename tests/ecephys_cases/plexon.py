"""Plexon .plx files with sorted units (real; neo's PlexonRawIO)."""

from __future__ import annotations

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from . import cut_copy, junk_copy

PLEXON = ECEPHYS / "plexon"
SPIKE_COUNTS = {"explore1.plx": [2112, 642, 228, 279], "postfwd5.plx": [15, 462, 133, 86]}


def sorting(name: str) -> Case:
    path = PLEXON / name

    def check_counts(nwbfile, sorting) -> None:
        """Four units with the spike counts neo's PlexonRawIO finds (counted independently of the writer)."""
        assert [len(nwbfile.units["spike_times"][row]) for row in range(4)] == SPIKE_COUNTS[name]

    return Case(
        "PlexonSortingInterface",
        {"file_path": str(path)},
        lambda: se.read_plexon_sorting(path),
        "real: Plexon .plx with 4 sorted units (SOURCES.md)",
        kind="sorting",
        truncate=lambda tmp: ({"file_path": str(p := cut_copy(path, tmp, keep=path.stat().st_size // 3))}, p),
        wrong_format=lambda tmp: ({"file_path": str(p := junk_copy(name, tmp))}, p),
        check=check_counts,
    )


CASES = {"plexon_sorting_explore1": sorting("explore1.plx"), "plexon_sorting_postfwd5": sorting("postfwd5.plx")}
