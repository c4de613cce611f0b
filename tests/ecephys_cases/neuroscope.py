"""NeuroScope recording, LFP and sorting on a generated session (tests/fixtures/ecephys/neuroscope.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import spikeinterface.extractors as se
from spikeinterface.core import read_binary

from ..cases import Case
from ..fixtures.ecephys import neuroscope as fixture
from . import GENERATED, generated_folder

SESSION = GENERATED / "neuroscope" / fixture.SESSION
DAT = SESSION / f"{fixture.SESSION}.dat"
LFP = SESSION / f"{fixture.SESSION}.lfp"
XML = SESSION / f"{fixture.SESSION}.xml"
NEURAL = [str(c) for group in fixture.SPIKE_GROUPS for c in group]  # NeuroConv keeps the spike-detection channels
FIXTURE = "generated: NeuroScope .xml + {what} (published layout), checked by reading it back with {reader}"
INTAN_GAIN = 0.195
EXPECT = {
    "series": "ElectricalSeries",
    "device": "DeviceEcephys",
    "groups": {"Group1", "Group2"},
    "session_start_time": "2021-03-04T00:00:00",
}


def make() -> Path:
    return generated_folder("neuroscope", fixture.write_session)


def read_dat():
    return se.read_neuroscope_recording(DAT).select_channels(NEURAL)


def read_dat_with_gain():
    """NeuroConv's `gain` (microvolts per step, here Intan's) replaces the .xml's range-derived gain."""
    recording = read_dat()
    recording.set_channel_gains(INTAN_GAIN)
    return recording


def read_lfp():
    """neo's NeuroScopeRawIO gives every binary the .xml's wide-band rate; the .lfp is read as the raw binary it
    is, at the .xml's lfpSamplingRate, with neo's gains and channel names."""
    neuroscope = se.read_neuroscope_recording(LFP)
    recording = read_binary(
        LFP,
        sampling_frequency=fixture.LFP_RATE,
        dtype="int16",
        num_channels=neuroscope.get_num_channels(),
        gain_to_uV=neuroscope.get_channel_gains(),
        offset_to_uV=neuroscope.get_channel_offsets(),
        channel_ids=neuroscope.get_channel_ids(),
    )
    recording.set_property("channel_name", neuroscope.get_property("channel_name"))
    return recording.select_channels(NEURAL)


def _copy(tmp_path: Path) -> Path:
    make()
    return Path(shutil.copytree(SESSION, tmp_path / fixture.SESSION))


def _cut(path: Path, n_bytes: int) -> None:
    path.write_bytes(path.read_bytes()[:-n_bytes])


def truncate_data(suffix: str):
    def truncate(tmp_path: Path) -> tuple[dict, Path]:
        data = _copy(tmp_path) / f"{fixture.SESSION}{suffix}"
        _cut(data, 3)
        return {"file_path": str(data)}, data

    return truncate


def xml_not_neuroscope(suffix: str):
    def wrong_format(tmp_path: Path) -> tuple[dict, Path]:
        session = _copy(tmp_path)
        xml = session / f"{fixture.SESSION}.xml"
        xml.write_text("nChannels=8\nsamplingRate=20000\n")  # an .ini-like header, not NeuroScope's XML
        return {"file_path": str(session / f"{fixture.SESSION}{suffix}")}, xml

    return wrong_format


def truncate_clu(tmp_path: Path) -> tuple[dict, Path]:
    session = _copy(tmp_path)
    clu = session / f"{fixture.SESSION}.clu.2"
    clu.write_text("".join(clu.read_text().splitlines(keepends=True)[:50]))
    return {"folder_path": str(session)}, clu


def res_not_text(tmp_path: Path) -> tuple[dict, Path]:
    session = _copy(tmp_path)
    (session / f"{fixture.SESSION}.res.1").write_bytes(np.arange(400, dtype="<i4").tobytes())
    return {"folder_path": str(session)}, session


def check_shanks(nwbfile, recording) -> None:
    electrodes = nwbfile.electrodes.to_dataframe()
    assert list(electrodes["channel_name"]) == [f"ch{c}grp{0 if int(c) < 4 else 1}" for c in NEURAL]
    assert list(electrodes["shank_electrode_number"]) == [0, 1, 2, 3, 0, 1, 2]
    assert list(electrodes["group_name"]) == ["Group1"] * 4 + ["Group2"] * 3


def check_lfp(nwbfile, recording) -> None:
    series = nwbfile.processing["ecephys"]["LFP"].electrical_series["ElectricalSeriesLFP"]
    assert series.rate == fixture.LFP_RATE
    assert series.data.shape == (3 * int(fixture.LFP_RATE), len(NEURAL))
    check_shanks(nwbfile, recording)


def check_gain(nwbfile, recording) -> None:
    assert nwbfile.acquisition["ElectricalSeries"].conversion == INTAN_GAIN * 1e-6
    check_shanks(nwbfile, recording)


def check_without_mua_and_shank_2(nwbfile, sorting) -> None:
    # shank 1's clusters 2, 3, 4 (0 noise and 1 multi-unit left out), numbered as spikeinterface numbers every
    # cluster of the shank from 1 (noise and multi-unit included)
    assert list(nwbfile.units["unit_name"][:]) == ["3", "4", "5"]
    assert list(nwbfile.units["group"][:]) == [1, 1, 1]


def check_units(nwbfile, sorting) -> None:
    # shank 1: clusters 1-4 (0 is noise), shank 2: clusters 1, 2, 5; the group column is each unit's shank
    assert list(nwbfile.units["group"][:]) == [1, 1, 1, 1, 2, 2, 2]
    assert len(nwbfile.units) == 7


CASES = {
    "neuroscope_dat": Case(
        "NeuroScopeRecordingInterface",
        {"file_path": str(DAT)},
        read_dat,
        FIXTURE.format(what="int16 .dat", reader="spikeinterface NeuroScopeRecordingExtractor (neo)"),
        kind="recording",
        make=make,
        truncate=truncate_data(".dat"),
        wrong_format=xml_not_neuroscope(".dat"),
        check=check_shanks,
        expect=EXPECT,
        reader_name="NeuroScopeRecordingExtractor",
    ),
    "neuroscope_dat_gain": Case(
        "NeuroScopeRecordingInterface",
        {"file_path": str(DAT), "gain": INTAN_GAIN, "xml_file_path": str(XML)},
        read_dat_with_gain,
        FIXTURE.format(what="int16 .dat", reader="spikeinterface NeuroScopeRecordingExtractor (neo)"),
        kind="recording",
        make=make,
        check=check_gain,
        expect=EXPECT,
        reader_name="NeuroScopeRecordingExtractor",
    ),
    "neuroscope_lfp": Case(
        "NeuroScopeLFPInterface",
        {"file_path": str(LFP)},
        read_lfp,
        FIXTURE.format(what="int16 .lfp", reader="spikeinterface read_binary at the .xml's lfpSamplingRate"),
        kind="recording",
        make=make,
        truncate=truncate_data(".lfp"),
        wrong_format=xml_not_neuroscope(".lfp"),
        check=check_lfp,
        expect={**EXPECT, "series": "ElectricalSeriesLFP", "parent": "processing/ecephys/LFP"},
        reader_name="read_binary",
    ),
    "neuroscope_sorting": Case(
        "NeuroScopeSortingInterface",
        {"folder_path": str(SESSION)},
        lambda: se.read_neuroscope_sorting(folder_path=SESSION),
        FIXTURE.format(what="text .res/.clu/.fet", reader="spikeinterface NeuroScopeSortingExtractor"),
        kind="sorting",
        make=make,
        truncate=truncate_clu,
        wrong_format=res_not_text,
        check=check_units,
        expect={"session_start_time": "2021-03-04T00:00:00"},
        reader_name="NeuroScopeSortingExtractor",
    ),
    "neuroscope_sorting_sorted_only": Case(
        "NeuroScopeSortingInterface",
        {"folder_path": str(SESSION), "keep_mua_units": False, "exclude_shanks": [2]},
        lambda: se.read_neuroscope_sorting(folder_path=SESSION, keep_mua_units=False, exclude_shanks=[2]),
        FIXTURE.format(what="text .res/.clu/.fet", reader="spikeinterface NeuroScopeSortingExtractor"),
        kind="sorting",
        make=make,
        check=check_without_mua_and_shank_2,
        expect={"session_start_time": "2021-03-04T00:00:00"},
        reader_name="NeuroScopeSortingExtractor",
    ),
}
