"""More ecephys sorting formats on real files: the Units table read back equals what spikeinterface returns."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
import spikeinterface.extractors as se
from pymatreader import read_mat
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import ECEPHYS, convert
from .fixtures.ecephys.cellexplorer import write_spikes_cellinfo
from .test_ecephys_values import test_sorting_values as check_sorting_values

PLEXON = ECEPHYS / "plexon"
PLEXON_FIXTURE = "real: Plexon .plx with 4 sorted units (SOURCES.md)"
SORTINGS = {
    "plexon_explore1": Case(
        "PlexonSortingInterface",
        {"file_path": str(PLEXON / "explore1.plx")},
        lambda: se.read_plexon_sorting(PLEXON / "explore1.plx"),
        PLEXON_FIXTURE,
    ),
    "plexon_postfwd5": Case(
        "PlexonSortingInterface",
        {"file_path": str(PLEXON / "postfwd5.plx")},
        lambda: se.read_plexon_sorting(PLEXON / "postfwd5.plx"),
        PLEXON_FIXTURE,
    ),
}


@pytest.mark.parametrize("case", sorted(SORTINGS))
def test_more_sorting_values(services, tmp_path, case, monkeypatch):
    # test_ecephys_values' sorting check looks its case up in its own SORTINGS: point it at these cases
    monkeypatch.setattr("tests.test_ecephys_values.SORTINGS", SORTINGS)
    check_sorting_values(services, tmp_path, case)


def test_plexon_units_and_spike_counts(services, tmp_path):
    """Each file's four units with their spike counts, as neo's PlexonRawIO reads them."""
    counts = {"explore1.plx": [2112, 642, 228, 279], "postfwd5.plx": [15, 462, 133, 86]}
    for name, expected in counts.items():
        path = convert(
            services,
            {"sorting": ("PlexonSortingInterface", {"file_path": str(PLEXON / name)})},
            tmp_path / f"{name}.nwb",
        )
        with NWBHDF5IO(path, "r") as io:
            units = io.read().units
            assert list(units["unit_name"][:]) == ["0", "1", "2", "3"]
            assert [len(units["spike_times"][row]) for row in range(4)] == expected


@pytest.mark.parametrize("damage", ["truncated", "wrong_format"])
def test_plexon_bad_file_names_it_and_writes_nothing(services, tmp_path, damage):
    bad = tmp_path / "bad.plx"
    original = (PLEXON / "explore1.plx").read_bytes()
    bad.write_bytes(original[: len(original) // 3] if damage == "truncated" else b"not a plexon file" * 100)
    out = tmp_path / "out.nwb"
    with warnings.catch_warnings(), pytest.raises(Exception, match="bad.plx"):
        warnings.simplefilter("ignore")
        convert(services, {"sorting": ("PlexonSortingInterface", {"file_path": str(bad)})}, out)
    assert not out.exists()


CELL_METRICS = ECEPHYS / "cellexplorer" / "d561102.cell_metrics.cellinfo.mat"
CELLEXPLORER = Case(
    "CellExplorerSortingInterface",
    {},  # the file is written per test run
    lambda: se.read_cellexplorer,
    "generated with scipy.io.savemat (spikes.cellinfo.mat; the real d561102 file is cell_metrics only, refused)",
)


def test_cellexplorer_units_and_properties(services, tmp_path, monkeypatch):
    spikes_file = write_spikes_cellinfo(tmp_path)
    case = replace(CELLEXPLORER, source={"file_path": str(spikes_file)}, read=lambda: se.read_cellexplorer(spikes_file))
    monkeypatch.setattr("tests.test_ecephys_values.SORTINGS", {"cellexplorer": case})
    check_sorting_values(services, tmp_path, "cellexplorer")
    with NWBHDF5IO(tmp_path / "cellexplorer.nwb", "r") as io:
        nwbfile = io.read()
        units = nwbfile.units
        assert nwbfile.session_id == "session1"
        assert list(units["clu_id"][:]) == [2, 5, 3]
        assert list(units["group_id"][:]) == ["Group1.0", "Group1.0", "Group2.0"]  # shankID is a MATLAB double
        assert list(units["location"][:]) == ["CA1", "CA1", "CA3"]
        assert list(units["cell_type"][:]) == ["excitatory", "inhibitory", "excitatory"]  # CellClass pE, pI, pE
        for row, seconds in enumerate(read_mat(str(spikes_file))["spikes"]["times"]):  # the times the file holds
            np.testing.assert_allclose(units["spike_times"][row], seconds, rtol=0, atol=1e-12)


@pytest.mark.parametrize("damage", ["cell_metrics_only", "truncated"])
def test_cellexplorer_bad_file_names_it_and_writes_nothing(services, tmp_path, damage):
    if damage == "cell_metrics_only":  # NeuroConv 0.10.2 refuses it too: no 'spikes' struct
        bad = CELL_METRICS
    else:
        spikes_file = write_spikes_cellinfo(tmp_path)
        bad = tmp_path / "bad.spikes.cellinfo.mat"
        bad.write_bytes(spikes_file.read_bytes()[:200])
    out = tmp_path / "out.nwb"
    with warnings.catch_warnings(), pytest.raises(Exception, match=bad.name):
        warnings.simplefilter("ignore")
        convert(services, {"sorting": ("CellExplorerSortingInterface", {"file_path": str(bad)})}, out)
    assert not out.exists()
