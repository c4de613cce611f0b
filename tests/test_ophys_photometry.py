"""Fiber photometry and its events through the real ophys service: the written FiberPhotometryResponseSeries,
FiberPhotometry table and EventsTables read back with pynwb and compared with the source files read here with
pandas, h5py, numpy and tdt (what the fixture writers of tests/fixtures/ophys/generate.py put in them)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from pynwb import NWBHDF5IO

from .conftest import ECEPHYS, START, convert
from .fixtures.ophys import generate
from .nwbcheck import assert_valid_nwb

SERIES = "FiberPhotometryResponseSeries"
TDT_TANK = ECEPHYS / "tdt" / "Vicon_Runway_Neural-220822-111845" / "NWE00159-230428-105347"


def source_for(interface: str, folder: Path) -> dict:
    return generate.WRITERS[interface](folder)


def read_back(path: Path):
    import ndx_fiber_photometry  # noqa: F401 - registers the extension's types for reading

    io = NWBHDF5IO(path, "r")
    return io, io.read()


def write(services, tmp_path, interfaces, metadata=START) -> Path:
    path = convert(services, interfaces, tmp_path / "out.nwb", metadata=metadata)
    assert_valid_nwb(path)
    return path


def ppd_words(file_path: str) -> tuple[dict, np.ndarray]:
    raw = Path(file_path).read_bytes()
    length = int.from_bytes(raw[:2], "little")
    return json.loads(raw[2 : 2 + length]), np.frombuffer(raw[2 + length :], dtype="<u2")


def rising_edges(line: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Onsets and high durations of a 0/1 line, NaN for a pulse still high at the end."""
    steps = np.diff(line.astype(int))
    up, down = np.flatnonzero(steps > 0) + 1, np.flatnonzero(steps < 0) + 1
    ends = [times[down[down > u][0]] - times[u] if np.any(down > u) else np.nan for u in up]
    return times[up], np.asarray(ends, dtype=float)


# ------------------------------------------------------------------------------------------------ response series

# interface -> the expected (data, times) read straight from the fixture's files
EXPECTED = {
    "CSVFiberPhotometryInterface": lambda s: (
        pd.read_csv(s["file_path"])[s["data_columns"]].to_numpy(),
        pd.read_csv(s["file_path"])[s["timestamps_column"]].to_numpy(),
    ),
    "MultiFileCSVFiberPhotometryInterface": lambda s: (
        np.column_stack([pd.read_csv(p)["data"].to_numpy() for p in s["file_paths"]]),
        pd.read_csv(s["file_paths"][0])["timestamps"].to_numpy(),
    ),
    "NPMFiberPhotometryInterface": lambda s: (
        (lambda t: t[(t["LedState"] & 2) > 0][s["regions"]].to_numpy())(pd.read_csv(s["file_path"])),
        (lambda t: t[(t["LedState"] & 2) > 0]["Timestamp"].to_numpy())(pd.read_csv(s["file_path"])),
    ),
    "DoricFiberPhotometryInterface": lambda s: (
        h5py.File(s["file_path"])["DataAcquisition/FPConsole/Signals/Series0001/AIN01xAOUT01-LockIn/Values"][:],
        h5py.File(s["file_path"])["DataAcquisition/FPConsole/Signals/Series0001/AIN01xAOUT01-LockIn/Time"][:],
    ),
    "PyPhotometryFiberPhotometryInterface": lambda s: (
        # slot 0 of the 2EX_2EM_continuous cycle, top 15 bits, x volts per division of detector 1
        (ppd_words(s["file_path"])[1][0::2] >> 1) * ppd_words(s["file_path"])[0]["volts_per_division"][0],
        np.arange(len(ppd_words(s["file_path"])[1]) // 2) / ppd_words(s["file_path"])[0]["sampling_rate"],
    ),
}


@pytest.mark.parametrize("interface", sorted(EXPECTED))
def test_response_series_values(services, tmp_path, interface):
    source = source_for(interface, tmp_path)
    data, times = EXPECTED[interface](source)
    path = write(services, tmp_path, {"fp": (interface, source)})
    io, nwbfile = read_back(path)
    with io:
        series = nwbfile.acquisition[SERIES]
        assert type(series).__name__ == "FiberPhotometryResponseSeries"
        np.testing.assert_array_equal(series.data[:], data)
        assert series.unit == "a.u."
        assert series.starting_time == times[0]
        assert series.rate == pytest.approx(1 / np.diff(times).mean(), rel=1e-12)
        assert series.fiber_photometry_table_region is None  # no table in the metadata: a bare series
        assert not nwbfile.lab_meta_data


def test_dict_arguments_pass_from_a_spec(services, tmp_path):
    """NeuroConv's dict arguments (read_kwargs, ...) are JSON objects in the source schema, not text."""
    source = source_for("CSVFiberPhotometryInterface", tmp_path)
    data, _ = EXPECTED["CSVFiberPhotometryInterface"](source)
    path = write(services, tmp_path, {"fp": ("CSVFiberPhotometryInterface", {**source, "read_kwargs": {"sep": ","}})})
    io, nwbfile = read_back(path)
    with io:
        np.testing.assert_array_equal(nwbfile.acquisition[SERIES].data[:], data)


def test_doric_csv_export_streams(services, tmp_path):
    """A DoricStudio CSV export: the header is the second line (the first holds channel groups)."""
    source = {"file_path": generate.write_doric_csv_events(tmp_path)["file_path"], "stream_names": "AIn-1"}
    table = pd.read_csv(source["file_path"], header=1)
    path = write(services, tmp_path, {"fp": ("DoricFiberPhotometryInterface", source)})
    io, nwbfile = read_back(path)
    with io:
        series = nwbfile.acquisition[SERIES]
        np.testing.assert_array_equal(series.data[:], table["AIn-1"].to_numpy())
        assert series.rate == pytest.approx(1 / np.diff(table["Time(s)"]).mean(), rel=1e-9)


def test_pyphotometry_metadata_comes_from_the_header(services, tmp_path):
    source = source_for("PyPhotometryFiberPhotometryInterface", tmp_path)
    header, _ = ppd_words(source["file_path"])
    metadata = copy.deepcopy(START)
    del metadata["NWBFile"]["session_start_time"]  # the .ppd's date_time stands in
    metadata["Subject"] = {k: v for k, v in metadata["Subject"].items() if k != "subject_id"}
    path = write(services, tmp_path, {"fp": ("PyPhotometryFiberPhotometryInterface", source)}, metadata)
    io, nwbfile = read_back(path)
    with io:
        assert nwbfile.subject.subject_id == header["subject_ID"]
        assert nwbfile.session_start_time.replace(tzinfo=None).isoformat() == header["date_time"][:19]
        assert "sequentially" in nwbfile.acquisition[SERIES].comments


def test_npm_irregular_times_are_written_whole(services, tmp_path):
    """A jittered clock is not a rate: the series carries its timestamps, as NeuroConv writes them."""
    source = source_for("NPMFiberPhotometryInterface", tmp_path)
    table = pd.read_csv(source["file_path"])
    table.loc[7, "Timestamp"] += 0.001
    table.to_csv(source["file_path"], index=False)
    path = write(services, tmp_path, {"fp": ("NPMFiberPhotometryInterface", source)})
    io, nwbfile = read_back(path)
    with io:
        expected = table[(table["LedState"] & 2) > 0]["Timestamp"].to_numpy()
        np.testing.assert_array_equal(nwbfile.acquisition[SERIES].timestamps[:], expected)


def test_stub_writes_the_first_samples(services, tmp_path):
    source = source_for("CSVFiberPhotometryInterface", tmp_path)
    path = convert(services, {"fp": ("CSVFiberPhotometryInterface", source)}, tmp_path / "stub.nwb", stub_test=True)
    io, nwbfile = read_back(path)
    with io:
        expected = pd.read_csv(source["file_path"])[["signal", "isosbestic"]].to_numpy()[
            :100
        ]  # NeuroConv's stub_samples
        np.testing.assert_array_equal(nwbfile.acquisition[SERIES].data[:], expected)


# ------------------------------------------------------------------------------- the FiberPhotometry table

TABLE_METADATA = {
    "DeviceModels": {
        "fiber_model": {
            "type": "OpticalFiberModel",
            "name": "MFC_200",
            "manufacturer": "Doric",
            "numerical_aperture": 0.37,
        },
        "led_model": {
            "type": "ExcitationSourceModel",
            "name": "CLED_465",
            "manufacturer": "Doric",
            "source_type": "LED",
            "excitation_mode": "one-photon",
        },
        "detector_model": {
            "type": "PhotodetectorModel",
            "name": "DFD",
            "manufacturer": "Doric",
            "detector_type": "photodiode",
        },
    },
    "Devices": {
        "fiber_dms": {
            "type": "OpticalFiber",
            "name": "fiber_dms",
            "device_model_metadata_key": "fiber_model",
            "fiber_insertion": {
                "insertion_position_ap_in_mm": 0.8,
                "insertion_position_ml_in_mm": 1.5,
                "depth_in_mm": 3.1,
            },
        },
        "led": {"type": "ExcitationSource", "name": "led_465", "device_model_metadata_key": "led_model"},
        "detector": {"type": "Photodetector", "name": "detector", "device_model_metadata_key": "detector_model"},
    },
    "FiberPhotometry": {
        "FiberPhotometryIndicators": {"gcamp": {"name": "GCaMP6f", "label": "GCaMP6f", "description": "calcium"}},
        "FiberPhotometryTable": {
            "name": "fiber_photometry_table",
            "description": "one row per trace",
            "rows": {
                "signal": {
                    "location": "DMS",
                    "excitation_wavelength_in_nm": 465.0,
                    "emission_wavelength_in_nm": 525.0,
                    "indicator_metadata_key": "gcamp",
                    "optical_fiber_metadata_key": "fiber_dms",
                    "excitation_source_metadata_key": "led",
                    "photodetector_metadata_key": "detector",
                },
                "isosbestic": {
                    "location": "DMS",
                    "excitation_wavelength_in_nm": 405.0,
                    "emission_wavelength_in_nm": 525.0,
                    "indicator_metadata_key": "gcamp",
                    "optical_fiber_metadata_key": "fiber_dms",
                    "excitation_source_metadata_key": "led",
                    "photodetector_metadata_key": "detector",
                },
            },
        },
        "fiber_photometry_photometry": {
            "name": "DMSResponse",
            "description": "signal and isosbestic",
            "fiber_photometry_table_region": ["isosbestic", "signal"],
        },
    },
}


def test_table_devices_and_region_from_neuroconvs_metadata(services, tmp_path):
    source = source_for("CSVFiberPhotometryInterface", tmp_path)
    metadata = {**copy.deepcopy(START), **copy.deepcopy(TABLE_METADATA)}
    path = write(services, tmp_path, {"fp": ("CSVFiberPhotometryInterface", source)}, metadata)
    io, nwbfile = read_back(path)
    with io:
        series = nwbfile.acquisition["DMSResponse"]
        assert series.description == "signal and isosbestic"
        np.testing.assert_array_equal(series.data[:], pd.read_csv(source["file_path"])[["signal", "isosbestic"]])
        table = nwbfile.lab_meta_data["fiber_photometry"].fiber_photometry_table
        assert series.fiber_photometry_table_region.table is table
        assert list(series.fiber_photometry_table_region.data[:]) == [1, 0]  # row keys -> positions in `rows`
        assert table.name == "fiber_photometry_table"
        assert list(table["location"][:]) == ["DMS", "DMS"]
        assert list(table["excitation_wavelength_in_nm"][:]) == [465.0, 405.0]
        assert list(table["emission_wavelength_in_nm"][:]) == [525.0, 525.0]
        fiber = table["optical_fiber"][0]
        assert type(fiber).__name__ == "OpticalFiber" and fiber.name == "fiber_dms"
        assert fiber.fiber_insertion.depth_in_mm == 3.1
        assert type(fiber.model).__name__ == "OpticalFiberModel" and fiber.model.numerical_aperture == 0.37
        assert table["excitation_source"][1].model.source_type == "LED"
        assert table["photodetector"][0].model.detector_type == "photodiode"
        assert table["indicator"][0].label == "GCaMP6f"
        assert set(nwbfile.devices) == {"fiber_dms", "led_465", "detector"}


def test_table_metadata_in_a_yaml_spec(tmp_path):
    """The same metadata as a NeuroConv YAML spec through the CLI (the spec's metadata is merged, then merged again
    with the sources': the device registries must survive both)."""
    import subprocess
    import sys

    import yaml

    source = source_for("CSVFiberPhotometryInterface", tmp_path)
    spec = {
        "metadata": {**copy.deepcopy(START), **copy.deepcopy(TABLE_METADATA)},
        "data_interfaces": {"fp": "CSVFiberPhotometryInterface"},
        "experiments": {"e": {"sessions": [{"nwbfile_name": "session", "source_data": {"fp": source}}]}},
    }
    (tmp_path / "spec.yml").write_text(yaml.safe_dump(spec))
    (tmp_path / "out").mkdir()
    command = [sys.executable, "-m", "nwbstream.coordinator.cli", "convert", str(tmp_path / "spec.yml")]
    result = subprocess.run(
        [*command, "--output-folder", str(tmp_path / "out"), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    io, nwbfile = read_back(next((tmp_path / "out").glob("session*")))
    with io:
        table = nwbfile.acquisition["DMSResponse"].fiber_photometry_table_region.table
        assert table["optical_fiber"][0].model.numerical_aperture == 0.37
        assert table["excitation_source"][0].model.name == "CLED_465"
        assert table["optical_fiber"][0].manufacturer is None  # the make is the model's, as NeuroConv writes it


def test_a_region_without_a_table_is_refused(services, tmp_path):
    from nwbstream.coordinator.errors import ConversionError

    source = source_for("CSVFiberPhotometryInterface", tmp_path)
    metadata = {
        **copy.deepcopy(START),
        "FiberPhotometry": {"fiber_photometry_photometry": {"fiber_photometry_table_region": ["a"]}},
    }
    with pytest.raises(ConversionError, match="FiberPhotometryTable"):
        convert(services, {"fp": ("CSVFiberPhotometryInterface", source)}, tmp_path / "out.nwb", metadata=metadata)
    assert list(tmp_path.glob("*.nwb")) == [] and list(tmp_path.glob(".*partial*")) == []


# ------------------------------------------------------------------------------------------------------ events


def doric_line(source):
    with h5py.File(source["file_path"]) as file:
        group = file["DataAcquisition/FPConsole/Signals/Series0001/DigitalIO"]
        return group["DIO01"][:], group["Time"][:]


def doric_csv_line(source):
    table = pd.read_csv(source["file_path"], header=None, skiprows=2)
    return table[2].to_numpy(), table[0].to_numpy()


def ppd_line(source, slot):
    header, words = ppd_words(source["file_path"])
    line = words[slot::2] & 1
    return line, np.arange(len(line)) / header["sampling_rate"]


EVENT_CASES = {  # interface -> {table name: (line, times)} read from the source
    "DoricEventsInterface": lambda s: {"DIO01": doric_line(s)},
    "DoricCSVEventsInterface": lambda s: {"DIO-1": doric_csv_line(s)},
    "PyPhotometryEventsInterface": lambda s: {"Digital1": ppd_line(s, 0), "Digital2": ppd_line(s, 1)},
}


@pytest.mark.parametrize("interface", sorted(EVENT_CASES))
def test_digital_lines_become_events_tables(services, tmp_path, interface):
    source = source_for(interface, tmp_path)
    path = write(services, tmp_path, {"events": (interface, source)})
    io, nwbfile = read_back(path)
    with io:
        expected = EVENT_CASES[interface](source)
        assert set(nwbfile.events) == set(expected)
        for name, (line, times) in expected.items():
            onsets, durations = rising_edges(line, times)
            assert len(onsets) > 0
            table = nwbfile.events[name]
            np.testing.assert_array_equal(table["timestamp"][:], onsets)
            np.testing.assert_array_equal(table["duration"][:], durations)
            assert "event_type" not in table.colnames


def test_npm_labels_become_timestamp_only_tables(services, tmp_path):
    source = source_for("NPMEventsInterface", tmp_path)
    rows = pd.read_csv(source["file_path"], header=None)
    path = write(services, tmp_path, {"events": ("NPMEventsInterface", source)})
    io, nwbfile = read_back(path)
    with io:
        assert set(nwbfile.events) == {label.capitalize() for label in rows[1]}  # NeuroConv CamelCases the name
        for label in set(rows[1]):
            table = nwbfile.events[label.capitalize()]
            np.testing.assert_array_equal(table["timestamp"][:], rows[rows[1] == label][0].to_numpy())
            assert "duration" not in table.colnames


def test_event_types_routed_to_one_table_are_merged_in_time_order(services, tmp_path):
    source = source_for("NPMEventsInterface", tmp_path)
    rows = pd.read_csv(source["file_path"], header=None)
    entries = {label: {"event_name": f"{label} burst", "table_metadata_key": "stimuli"} for label in set(rows[1])}
    metadata = {**copy.deepcopy(START), "Events": {"npm_stimuli": {"event_types": entries}}}
    path = write(services, tmp_path, {"events": ("NPMEventsInterface", source)}, metadata)
    io, nwbfile = read_back(path)
    with io:
        assert set(nwbfile.events) == {"Stimuli"}
        table = nwbfile.events["Stimuli"]
        order = np.argsort(rows[0].to_numpy(), kind="stable")
        np.testing.assert_array_equal(table["timestamp"][:], rows[0].to_numpy()[order])
        assert list(table["event_type"][:]) == [f"{label} burst" for label in rows[1].to_numpy()[order]]


def test_photometry_and_its_events_in_one_file(services, tmp_path):
    source = source_for("DoricFiberPhotometryInterface", tmp_path)
    events_source = {"file_path": source["file_path"]}
    path = write(
        services,
        tmp_path,
        {"fp": ("DoricFiberPhotometryInterface", source), "events": ("DoricEventsInterface", events_source)},
    )
    io, nwbfile = read_back(path)
    with io:
        line, times = doric_line(events_source)
        np.testing.assert_array_equal(nwbfile.events["DIO01"]["timestamp"][:], rising_edges(line, times)[0])
        assert nwbfile.acquisition[SERIES].data.shape == (len(times),)


# --------------------------------------------------------------------------------------------------------- TDT


def test_tdt_streams_read_from_a_real_synapse_tank(services, tmp_path):
    """The tank's streams are not photometry (an LFP and a waveform store), but they are read the same way."""
    import tdt

    block = tdt.read_block(str(TDT_TANK), evtype=["streams"], store="Wav1")
    expected = np.asarray(block.streams["Wav1"].data)
    source = {"folder_path": str(TDT_TANK), "stream_names": "Wav1"}
    path = write(
        services,
        tmp_path,
        {
            "fp": ("TDTFiberPhotometryInterface", source),
            "events": ("TDTEventsInterface", {"folder_path": str(TDT_TANK)}),
        },
    )
    io, nwbfile = read_back(path)
    with io:
        series = nwbfile.acquisition[SERIES]
        np.testing.assert_array_equal(series.data[:], expected)
        assert series.rate == pytest.approx(float(block.streams["Wav1"].fs))
        assert series.starting_time == float(block.streams["Wav1"].start_time)
        assert not nwbfile.events  # the tank has no epoc store


def test_tdt_missing_stream_names_the_tank_and_its_streams(services, tmp_path):
    from nwbstream.coordinator.errors import ConversionError

    source = {"folder_path": str(TDT_TANK), "stream_names": ["_465A"]}
    with pytest.raises(ConversionError, match=r"_465A.*LFP1.*Wav1"):
        convert(services, {"fp": ("TDTFiberPhotometryInterface", source)}, tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists()


# --------------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "interface, breaks",
    [
        ("PyPhotometryFiberPhotometryInterface", lambda p: p.write_bytes(b"\x40\x00{not json")),
        ("DoricFiberPhotometryInterface", lambda p: p.write_bytes(p.read_bytes()[:300])),
        ("CSVFiberPhotometryInterface", lambda p: p.write_text("a,b\n1,2\n")),
    ],
)
def test_a_broken_source_is_refused_naming_the_file(services, tmp_path, interface, breaks):
    from nwbstream.coordinator.errors import ConversionError

    source = source_for(interface, tmp_path)
    breaks(Path(source["file_path"]))
    with pytest.raises(ConversionError, match=Path(source["file_path"]).name):
        convert(services, {"fp": (interface, source)}, tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists() and not list(tmp_path.glob(".*partial*"))


# For docs/formats.md: what each interface is tested on (these cases are built at run time).
GENERATED = "generated to the format's published layout with pandas/h5py (tests/fixtures/ophys/generate.py)"
TDT_FIXTURE = "real: a TDT Synapse tank (ecephys/tdt, SOURCES.md); its streams are not photometry, it has no epocs"
FIXTURES = {
    **{name: GENERATED for name in (*EXPECTED, *EVENT_CASES, "NPMEventsInterface")},
    "TDTFiberPhotometryInterface": TDT_FIXTURE,
    "TDTEventsInterface": TDT_FIXTURE,
}
