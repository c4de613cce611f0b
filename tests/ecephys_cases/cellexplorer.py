"""CellExplorer sorting: a generated `spikes.cellinfo.mat` (the real d561102 file is cell_metrics only, refused)."""

from __future__ import annotations

import numpy as np
import spikeinterface.extractors as se
from pymatreader import read_mat

from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.cellexplorer import SESSION, write_spikes_cellinfo
from . import GENERATED, cut_copy, generated_folder

CELL_METRICS = ECEPHYS / "cellexplorer" / "d561102.cell_metrics.cellinfo.mat"
SPIKES_FILE = GENERATED / "cellexplorer" / SESSION / f"{SESSION}.spikes.cellinfo.mat"


def make() -> None:
    generated_folder("cellexplorer", write_spikes_cellinfo)


def check_units(nwbfile, sorting) -> None:
    units = nwbfile.units
    assert nwbfile.session_id == SESSION
    assert list(units["clu_id"][:]) == [2, 5, 3]
    assert list(units["group_id"][:]) == ["Group1.0", "Group1.0", "Group2.0"]  # shankID is a MATLAB double
    assert list(units["location"][:]) == ["CA1", "CA1", "CA3"]
    assert list(units["cell_type"][:]) == ["excitatory", "inhibitory", "excitatory"]  # CellClass pE, pI, pE
    for row, seconds in enumerate(read_mat(str(SPIKES_FILE))["spikes"]["times"]):  # the times the file holds
        np.testing.assert_allclose(units["spike_times"][row], seconds, rtol=0, atol=1e-12)


def truncated(tmp):
    make()
    bad = cut_copy(SPIKES_FILE, tmp, keep=200)
    return {"file_path": str(bad)}, bad


CASES = {
    "cellexplorer_sorting": Case(
        "CellExplorerSortingInterface",
        {"file_path": str(SPIKES_FILE)},
        lambda: se.read_cellexplorer(SPIKES_FILE),
        "generated with scipy.io.savemat (spikes.cellinfo.mat; the real d561102 file is cell_metrics only, refused)",
        kind="sorting",
        make=make,
        truncate=truncated,
        # NeuroConv 0.10.2 refuses it too: a cell_metrics file has no 'spikes' struct
        wrong_format=lambda tmp: ({"file_path": str(CELL_METRICS)}, CELL_METRICS),
        check=check_units,
    ),
}
