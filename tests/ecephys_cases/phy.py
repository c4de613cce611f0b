"""Phy and KiloSort output folders (one real template folder; its raw .dat is not needed for sorting)."""

from __future__ import annotations

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from . import junk_copy, writable_copy

TEMPLATE = ECEPHYS / "phy" / "template"
FIXTURE = "real: phy template folder (SOURCES.md)"


def truncated(tmp):
    """spike_times.npy cut inside its data."""
    folder = writable_copy(TEMPLATE, tmp)
    bad = folder / "spike_times.npy"
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    return {"folder_path": str(folder)}, bad


def wrong_format(tmp):
    folder = writable_copy(TEMPLATE, tmp)
    bad = junk_copy("spike_clusters.npy", folder)
    return {"folder_path": str(folder)}, bad


def sorting(interface: str, read) -> Case:
    return Case(
        interface,
        {"folder_path": str(TEMPLATE)},
        read,
        FIXTURE,
        kind="sorting",
        truncate=truncated,
        wrong_format=wrong_format,
    )


CASES = {
    "phy": sorting("PhySortingInterface", lambda: se.read_phy(TEMPLATE)),
    "kilosort": sorting("KiloSortSortingInterface", lambda: se.read_kilosort(TEMPLATE)),
}
