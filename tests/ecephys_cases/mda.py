"""MountainSort firings.mda, written with spikeinterface's own MDA writer (tests/fixtures/ecephys/mda.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import spikeinterface.extractors as se

from ..cases import Case
from ..fixtures.ecephys import mda as fixture
from . import GENERATED, generated_folder

FIRINGS = GENERATED / "mda" / "firings.mda"
LATE_FIRINGS = GENERATED / "mda-late" / "firings.mda"  # no spike in a stub's first 2 s: the stub's units are empty


def make() -> Path:
    return generated_folder("mda", fixture.write_firings)


def truncate(tmp_path: Path) -> tuple[dict, Path]:
    make()
    cut = tmp_path / "firings.mda"
    cut.write_bytes(FIRINGS.read_bytes()[:-100])
    return {"file_path": str(cut), "sampling_frequency": fixture.RATE}, cut


def wrong_format(tmp_path: Path) -> tuple[dict, Path]:
    other = tmp_path / "firings.mda"
    other.write_text("channel,sample,label\n1,100,1\n")  # a CSV export, not the binary MDA array
    return {"file_path": str(other), "sampling_frequency": fixture.RATE}, other


def check_peak_channels(nwbfile, sorting) -> None:
    assert list(nwbfile.units["mda_peak_channel"][:]) == list(fixture.PEAK_CHANNELS.values())
    assert "max_channel" not in nwbfile.units.colnames
    np.testing.assert_array_equal(nwbfile.units["mda_peak_channel"][:], sorting.get_property("max_channel"))


CASES = {
    "mda_firings": Case(
        "MdaSortingInterface",
        {"file_path": str(FIRINGS), "sampling_frequency": fixture.RATE},
        lambda: se.read_mda_sorting(FIRINGS, sampling_frequency=fixture.RATE),
        "written with spikeinterface (MdaSortingExtractor.write_sorting), read back with read_mda_sorting",
        kind="sorting",
        make=make,
        truncate=truncate,
        wrong_format=wrong_format,
        check=check_peak_channels,
    ),
}
CASES["mda_firings_late_start"] = Case(
    "MdaSortingInterface",
    {"file_path": str(LATE_FIRINGS), "sampling_frequency": fixture.RATE},
    lambda: se.read_mda_sorting(LATE_FIRINGS, sampling_frequency=fixture.RATE),
    "written with spikeinterface (MdaSortingExtractor.write_sorting), read back with read_mda_sorting",
    kind="sorting",
    make=lambda: generated_folder("mda-late", lambda folder: fixture.write_firings(folder, first_second=5.0)),
)
