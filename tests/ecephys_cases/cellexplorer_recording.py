"""CellExplorer recording and LFP on a generated session (session.mat + .dat/.lfp, tests/fixtures/ecephys)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from pymatreader import read_mat
from spikeinterface.core import BinaryRecordingExtractor

from ..cases import Case
from ..fixtures.ecephys import cellexplorer as fixture
from . import GENERATED, generated_folder

SESSION = GENERATED / "cellexplorer_recording" / fixture.SESSION
FIXTURE = (
    "generated: CellExplorer session.mat (scipy.io.savemat) + int16 {what}, checked by reading it back with "
    "spikeinterface BinaryRecordingExtractor as the session.mat describes it (pymatreader)"
)
EXPECT = {"series": "ElectricalSeries", "device": "DeviceEcephys", "groups": {"Group 1", "Group 2"}}


def make() -> Path:
    return generated_folder("cellexplorer_recording", fixture.write_recording_session)


def reader(suffix: str, rate_key: str):
    """spikeinterface's binary reader with what session.mat says (rate, channels, precision, gain, positions,
    groups): there is no CellExplorer recording extractor, NeuroConv reads it so too."""

    def read() -> BinaryRecordingExtractor:
        extracellular = read_mat(str(SESSION / f"{fixture.SESSION}.session.mat"))["session"]["extracellular"]
        n_channels = int(extracellular["nChannels"])
        recording = BinaryRecordingExtractor(
            file_paths=[SESSION / f"{fixture.SESSION}{suffix}"],
            sampling_frequency=float(extracellular[rate_key]),
            num_channels=n_channels,
            dtype=str(extracellular["precision"]),
            gain_to_uV=np.full(n_channels, float(extracellular["leastSignificantBit"])),
            offset_to_uV=np.zeros(n_channels),
            channel_ids=[str(c) for c in range(1, n_channels + 1)],
        )
        coordinates = extracellular["chanCoords"]
        recording.set_dummy_probe_from_locations(np.column_stack([coordinates["x"], coordinates["y"]]))
        groups = extracellular["electrodeGroups"]["channels"]
        recording.set_property("group_name", [f"Group {g + 1}" for g, channels in enumerate(groups) for _ in channels])
        return recording

    return read


def truncate(suffix: str):
    def cut(tmp_path: Path) -> tuple[dict, Path]:
        make()
        session = Path(shutil.copytree(SESSION, tmp_path / fixture.SESSION))
        binary = session / f"{fixture.SESSION}{suffix}"
        binary.write_bytes(binary.read_bytes()[:-5])
        return {"folder_path": str(session)}, binary

    return cut


def session_not_mat(tmp_path: Path) -> tuple[dict, Path]:
    make()
    session = Path(shutil.copytree(SESSION, tmp_path / fixture.SESSION))
    session_file = session / f"{fixture.SESSION}.session.mat"
    session_file.write_text("session.sr = 20000;\n")  # a MATLAB script, not a MAT file
    return {"folder_path": str(session)}, session_file


def check_regions(nwbfile, recording) -> None:
    electrodes = nwbfile.electrodes.to_dataframe()
    assert list(electrodes["location"]) == ["CA1"] * 3 + ["DG"] * 3
    assert list(electrodes["group_name"]) == ["Group 1"] * 3 + ["Group 2"] * 3
    np.testing.assert_array_equal(electrodes["rel_x"], fixture.X_COORDS)
    np.testing.assert_array_equal(electrodes["rel_y"], fixture.Y_COORDS)


def check_lfp(nwbfile, recording) -> None:
    series = nwbfile.processing["ecephys"]["LFP"].electrical_series["ElectricalSeriesLFP"]
    assert series.rate == fixture.LFP_RATE
    check_regions(nwbfile, recording)


CASES = {
    "cellexplorer_dat": Case(
        "CellExplorerRecordingInterface",
        {"folder_path": str(SESSION)},
        reader(".dat", "sr"),
        FIXTURE.format(what=".dat"),
        kind="recording",
        make=make,
        truncate=truncate(".dat"),
        wrong_format=session_not_mat,
        check=check_regions,
        expect=EXPECT,
        reader_name="BinaryRecordingExtractor",
    ),
    "cellexplorer_lfp": Case(
        "CellExplorerLFPInterface",
        {"folder_path": str(SESSION)},
        reader(".lfp", "srLfp"),
        FIXTURE.format(what=".lfp"),
        kind="recording",
        make=make,
        truncate=truncate(".lfp"),
        wrong_format=session_not_mat,
        check=check_lfp,
        expect={**EXPECT, "series": "ElectricalSeriesLFP", "parent": "processing/ecephys/LFP"},
        reader_name="BinaryRecordingExtractor",
    ),
}
