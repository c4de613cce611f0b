"""validate_nwbfile: the report the conversion service keeps with every job (pynwb's validator + nwbinspector)."""

from __future__ import annotations

import datetime as dt
import json

import h5py
import numpy as np
import pytest
from hdmf_zarr.nwb import NWBZarrIO
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.validation import validate_nwbfile
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.file import Subject


def nwbfile(data: np.ndarray, subject: bool = True) -> NWBFile:
    f = NWBFile(
        session_description="validation test",
        identifier="validation-test",
        session_start_time=dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC),
        subject=Subject(subject_id="m1", species="Mus musculus", sex="M", age="P90D") if subject else None,
    )
    f.add_acquisition(TimeSeries(name="trace", data=data, unit="V", rate=100.0, description="a trace"))
    return f


def write_hdf5(path, f: NWBFile):
    with NWBHDF5IO(str(path), "w") as io:
        io.write(f)
    return path


def test_a_valid_file_is_ok(tmp_path):
    report = validate_nwbfile(write_hdf5(tmp_path / "ok.nwb", nwbfile(np.arange(200.0).reshape(100, 2))))
    assert report.ok
    assert report.pynwb == ()
    assert report.critical() == []
    as_json = json.loads(json.dumps(report.to_json()))  # what the job store keeps
    assert as_json["pynwb"] == []
    assert all(
        set(m) == {"importance", "check", "message", "object_type", "object_name", "location"}
        for m in as_json["nwbinspector"]
    )
    assert report.summary().startswith(f"{tmp_path / 'ok.nwb'}: valid: 0 schema error(s)")


def test_a_valid_zarr_store_is_ok(tmp_path):
    path = tmp_path / "ok.nwb.zarr"
    with NWBZarrIO(str(path), "w") as io:
        io.write(nwbfile(np.arange(200.0).reshape(100, 2)))
    assert validate_nwbfile(path).ok


def test_a_critical_inspector_message_fails_the_file(tmp_path):
    # time along the second axis: 2 samples of 100 channels, which nwbinspector calls CRITICAL
    report = validate_nwbfile(write_hdf5(tmp_path / "flipped.nwb", nwbfile(np.arange(200.0).reshape(2, 100))))
    assert report.pynwb == ()
    assert not report.ok
    [critical] = report.critical()
    assert critical.check == "check_data_orientation"
    assert (critical.object_type, critical.object_name, critical.location) == (
        "TimeSeries",
        "trace",
        "/acquisition/trace",
    )
    assert report.critical(waive=frozenset({"check_data_orientation"})) == []
    assert "INVALID" in report.summary() and critical.message in report.summary()


def test_a_missing_subject_is_critical(tmp_path):
    report = validate_nwbfile(write_hdf5(tmp_path / "nosubject.nwb", nwbfile(np.zeros((10, 1)), subject=False)))
    assert [f.check for f in report.critical()] == ["check_subject_exists"]
    assert not report.ok


def test_a_schema_error_fails_the_file(tmp_path):
    path = write_hdf5(tmp_path / "broken.nwb", nwbfile(np.arange(200.0).reshape(100, 2)))
    with h5py.File(path, "r+") as f:
        del f["acquisition/trace/data"].attrs["unit"]  # required by the TimeSeries schema
    report = validate_nwbfile(path)
    assert not report.ok
    assert len(report.pynwb) == 1
    assert "unit" in report.pynwb[0] and "trace" in report.pynwb[0]
    assert report.to_json()["pynwb"] == list(report.pynwb)
    assert "1 schema error(s)" in report.summary()


def test_a_file_pynwb_cannot_read_is_reported_invalid(tmp_path):
    path = write_hdf5(tmp_path / "unknown.nwb", nwbfile(np.arange(200.0).reshape(100, 2)))
    with h5py.File(path, "r+") as f:
        f["general/subject"].attrs["neurodata_type"] = "NotAType"
    report = validate_nwbfile(path)
    assert not report.ok
    assert report.pynwb == ("cannot be read as NWB: ValueError: No specification for 'NotAType' in namespace 'core'",)
    notes = tmp_path / "notes.nwb"
    notes.write_text("not HDF5")
    assert validate_nwbfile(notes).pynwb[0].startswith("cannot be read as NWB: OSError: Unable to ")
    with pytest.raises(ConversionError, match="missing.nwb: no such NWB file"):
        validate_nwbfile(tmp_path / "missing.nwb")
