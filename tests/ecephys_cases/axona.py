"""Axona DacqUSB: LFP (.eeg) of the real r1838 recording checked against the file's bytes parsed with numpy alone;
raw (.set + .bin) of the real trial's .set with a generated .bin, read back by neo's AxonaRawIO; unit mode (.set + .N)
of the real trial's tetrode file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import spikeinterface.extractors as se
from spikeinterface.core import NumpyRecording

from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.axona_bin import write_axona_raw
from ..fixtures.ecephys.axona_units import RECORD, SECONDS, write_unit_trial
from . import GENERATED, cut_copy, generated_folder

AXONA = ECEPHYS / "axona" / "r1838_10-12-14"
EEG = AXONA / "83812141.eeg"
EEG_SAMPLES = 300250  # SOURCES.md: 250 Hz, 300250 one-byte samples
REAL_SET = AXONA / "83812141.set"

RAW = GENERATED / "axona_raw"
BIN = RAW / "83812141.bin"
UNITS = GENERATED / "axona_units"
UNIT_SET = UNITS / REAL_SET.name
PRETRIGGER = 10  # samples before the trigger: the r1838 .set predates DacqUSB's pretrigSamps field


def raw_truncated(folder: Path) -> tuple[dict, Path]:
    """The .bin cut inside its last packet."""
    shutil.copyfile(RAW / REAL_SET.name, folder / REAL_SET.name)
    path = folder / BIN.name
    path.write_bytes(BIN.read_bytes()[:-100])
    return {"file_path": str(path)}, path


def raw_wrong_format(folder: Path) -> tuple[dict, Path]:
    """A .bin beside a file that is not a DacqUSB .set."""
    (folder / REAL_SET.name).write_text("not a set file\n")
    path = folder / BIN.name
    shutil.copyfile(BIN, path)
    return {"file_path": str(path)}, path.with_suffix(".set")


def check_raw(nwbfile, recording) -> None:
    """The .set's facts: tetrodes 1-8 active (one group each), its experimenter and software version."""
    assert sorted(nwbfile.electrode_groups) == [str(t) for t in range(1, 9)]
    assert list(nwbfile.electrodes["group_name"][:]) == [str(t) for t in range(1, 9) for _ in range(4)]
    assert list(nwbfile.electrodes["tetrode_id"][:]) == [t for t in range(1, 9) for _ in range(4)]
    assert nwbfile.experimenter == ("cb",)
    assert nwbfile.devices["Axona"].description == "Axona DacqUSB, sw_version=1.0.2"


def unit_mode_traces():
    """The trial as NeuroConv meant it, noise left out: each cut-out of the tetrode file, parsed here from its
    bytes with numpy, at its spike time (48 kHz samples of a 96 kHz timebase), on zeros; the .set's gains."""
    raw = (UNITS / "83812141.5").read_bytes()
    start = raw.index(b"data_start") + len(b"data_start")
    n_spikes = int(re.search(rb"^num_spikes (\d+)", raw[:start], re.M).group(1))
    records = np.frombuffer(raw[start : start + n_spikes * 4 * RECORD.itemsize], dtype=RECORD).reshape(-1, 4)
    traces = np.zeros((SECONDS * 48000, 4), dtype=np.int8)
    for spike in records:
        first = spike["time"][0] // 2 - PRETRIGGER
        traces[first : first + 50] = spike["samples"].T
    recording = NumpyRecording([traces], sampling_frequency=48000.0, channel_ids=["5a", "5b", "5c", "5d"])
    set_text = UNIT_SET.read_text(encoding="latin-1")
    gains = [float(re.search(rf"^gain_ch_{c} (\d+)", set_text, re.M).group(1)) for c in range(16, 20)]
    recording.set_channel_gains([1000 * 1500 / (g * 128) for g in gains])  # ADC_fullscale_mv 1500, 8 bits
    recording.set_channel_offsets(0.0)
    return recording


def units_truncated(folder: Path) -> tuple[dict, Path]:
    """The tetrode file cut inside its records."""
    shutil.copyfile(UNIT_SET, folder / UNIT_SET.name)
    path = folder / "83812141.5"
    path.write_bytes((UNITS / path.name).read_bytes()[:-2000])
    return {"file_path": str(folder / UNIT_SET.name)}, path


def units_wrong_format(folder: Path) -> tuple[dict, Path]:
    """A .set that is no DacqUSB .set."""
    path = folder / UNIT_SET.name
    path.write_text("hello\n")
    shutil.copyfile(UNITS / "83812141.5", folder / "83812141.5")
    return {"file_path": str(path)}, path


def read_eeg_bytes() -> NumpyRecording:
    """The samples between "data_start" and "\\r\\ndata_end", as int8, straight from the file, at 250 Hz."""
    raw = EEG.read_bytes()
    first = raw.index(b"data_start") + len(b"data_start")
    last = raw.rindex(b"\r\ndata_end")
    samples = np.frombuffer(raw[first:last], dtype=np.int8)
    return NumpyRecording([samples[:, None]], sampling_frequency=250.0)


def check_lfp(nwbfile, recording) -> None:
    series = nwbfile.processing["ecephys"]["LFP"]["ElectricalSeriesLFP"]
    assert series.data.shape == (EEG_SAMPLES, 1)
    assert series.conversion == 1.0
    assert len(series.electrodes.table) == 1


def foreign_eeg(tmp):
    bad = tmp / EEG.name
    bad.write_bytes(b"not an Axona file\r\n" * 10)
    return {"file_path": str(bad)}, bad


CASES = {
    "axona_lfp": Case(
        "AxonaLFPDataInterface",
        {"file_path": str(EEG)},
        read_eeg_bytes,
        "real: Axona DacqUSB .eeg, 250 Hz (SOURCES.md)",
        {"series": "ElectricalSeriesLFP", "parent": "processing/ecephys/LFP"},
        reader_name="numpy on the raw .eeg bytes",
        kind="recording",
        truncate=lambda tmp: ({"file_path": str(p := cut_copy(EEG, tmp, keep=100_000))}, p),
        wrong_format=foreign_eeg,
        check=check_lfp,
    ),
    "axona_raw": Case(
        "AxonaRecordingInterface",
        {"file_path": str(BIN)},
        lambda: se.read_axona(BIN),
        "generated: DacqUSB .bin packets for the real trial's .set (r1838, SOURCES.md; duration set to the "
        ".bin's), checked by reading it back with neo AxonaRawIO",
        {
            "series": "ElectricalSeries",
            "device": "Axona",
            "groups": {str(t) for t in range(1, 9)},
            "session_start_time": "2010-12-14T10:44:07",
        },
        kind="recording",
        make=lambda: generated_folder("axona_raw", lambda folder: write_axona_raw(folder, REAL_SET)),
        truncate=raw_truncated,
        wrong_format=raw_wrong_format,
        check=check_raw,
    ),
    "axona_units": Case(
        "AxonaUnitRecordingInterface",
        {"file_path": str(UNIT_SET), "noise_std": 0.0},
        unit_mode_traces,
        "real: the r1838 .set and tetrode-5 file (SOURCES.md), cut to their first 10 s (header counts edited)",
        {
            "series": "ElectricalSeries",
            "device": "Axona",
            "groups": {"5"},
            "session_start_time": "2010-12-14T10:44:07",
        },
        reader_name="numpy on the tetrode file's records",
        kind="recording",
        make=lambda: generated_folder("axona_units", lambda folder: write_unit_trial(folder, REAL_SET)),
        truncate=units_truncated,
        wrong_format=units_wrong_format,
    ),
}
