"""Axona LFP on the real r1838 recording: the NWB file equals the .eeg bytes parsed here with numpy alone."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import ECEPHYS, convert
from .nwbcheck import assert_valid_nwb

AXONA = ECEPHYS / "axona" / "r1838_10-12-14"
EEG = AXONA / "83812141.eeg"
EEG_SAMPLES = 300250  # SOURCES.md: 250 Hz, 300250 one-byte samples


def read_eeg_bytes() -> np.ndarray:
    """The samples between "data_start" and "\\r\\ndata_end", as int8, straight from the file."""
    raw = EEG.read_bytes()
    first = raw.index(b"data_start") + len(b"data_start")
    last = raw.rindex(b"\r\ndata_end")
    return np.frombuffer(raw[first:last], dtype=np.int8)


LFP = Case(
    "AxonaLFPDataInterface",
    {"file_path": str(EEG)},
    read_eeg_bytes,
    "real: Axona DacqUSB .eeg, 250 Hz (SOURCES.md)",
    reader_name="numpy on the raw .eeg bytes",
)


def lfp_series(nwbfile):
    return nwbfile.processing["ecephys"]["LFP"]["ElectricalSeriesLFP"]


def test_lfp_values_and_rate(services, tmp_path):
    expected = read_eeg_bytes()
    assert expected.size == EEG_SAMPLES
    path = convert(services, {"lfp": (LFP.interface, LFP.source)}, tmp_path / "axona.nwb")
    with NWBHDF5IO(path, "r") as io:
        series = lfp_series(io.read())
        assert series.data.dtype == np.int8
        assert series.data.shape == (EEG_SAMPLES, 1)
        np.testing.assert_array_equal(series.data[:, 0], expected)
        assert series.rate == 250.0
        assert series.starting_time == 0.0
        assert series.conversion == 1.0
        assert len(series.electrodes.table) == 1
    assert_valid_nwb(path)


def test_stub_writes_a_prefix(services, tmp_path):
    expected = read_eeg_bytes()
    path = convert(services, {"lfp": (LFP.interface, LFP.source)}, tmp_path / "stub.nwb", stub_test=True)
    with NWBHDF5IO(path, "r") as io:
        data = lfp_series(io.read()).data
        assert 0 < data.shape[0] < EEG_SAMPLES
        np.testing.assert_array_equal(data[:, 0], expected[: data.shape[0]])
    assert_valid_nwb(path)


def test_truncated_eeg_names_it(services, tmp_path):
    bad = tmp_path / EEG.name
    bad.write_bytes(EEG.read_bytes()[:100_000])
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=rf"{re.escape(str(bad))}: truncated"):
        convert(services, {"lfp": (LFP.interface, {"file_path": str(bad)})}, out)
    assert not out.exists()


def test_wrong_format_names_it(services, tmp_path):
    bad = tmp_path / EEG.name
    bad.write_bytes(b"not an Axona file\r\n" * 10)
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=rf"{re.escape(str(bad))}: cannot be read"):
        convert(services, {"lfp": (LFP.interface, {"file_path": str(bad)})}, out)
    assert not out.exists()
