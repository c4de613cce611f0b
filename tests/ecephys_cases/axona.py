"""Axona LFP (.eeg) from the real r1838 recording, checked against the file's bytes parsed with numpy alone (neo's
AxonaRawIO reads only .set + .bin pairs)."""

from __future__ import annotations

import numpy as np
from spikeinterface.core import NumpyRecording

from ..cases import Case
from ..conftest import ECEPHYS
from . import cut_copy

AXONA = ECEPHYS / "axona" / "r1838_10-12-14"
EEG = AXONA / "83812141.eeg"
EEG_SAMPLES = 300250  # SOURCES.md: 250 Hz, 300250 one-byte samples


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
}
