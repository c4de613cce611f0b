"""Icephys through the real service: ABF sweeps (the four real files: ABF1 and ABF2, voltage and current clamp) and
Bruker PrairieView cycles (generated, tests/fixtures/icephys/bruker.py), read back with pynwb and compared, sweep
by sweep and channel by channel in SI units, with neo's AxonIO (signals and protocol commands) and with pandas on
the cycle CSVs: values, conversion, rate, start times, electrodes and devices, and the icephys tables' rows."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import START, TESTDATA, convert
from .fixtures.icephys import bruker
from .nwbcheck import assert_valid_nwb

ABF = TESTDATA / "icephys" / "abf"
ABF1_VC = ABF / "05210017_vc_abf1.abf"  # ABF1, 2 channels (pA), 6 sweeps 60 s apart: gaps, so timestamps
STEPS = ABF / "171116sh_0018.abf"  # ABF2 current clamp, 17 contiguous sweeps, MultiClamp 700
RAMP = ABF / "17o05027_ic_ramp.abf"  # ABF2 current clamp, 2 sweeps
VC = ABF / "2018_12_09_pCLAMP11_0001.abf"  # ABF2 voltage clamp (A), 10 sweeps, no telegraph
REAL = "real: ABF files from swharden/pyABF (../shared/testdata/icephys/abf)"
GENERATED = "generated: PrairieView cycles (tests/fixtures/icephys/bruker.py), checked with pandas"


def axon_io(path: Path):
    from neo.io import AxonIO

    return AxonIO(filename=str(path))


def sessions(*modes: tuple[Path, str]) -> dict:
    return {"recording_sessions": [{"abf_file_name": p.name, "icephys_experiment_type": m} for p, m in modes]}


AXON = {
    "abf1_monitor": Case(
        "AxonIntracellularInterface",
        {"file_path": str(ABF1_VC), "response_channel_name": "Voltage0", "mode": "voltage_clamp"}
        | {"stimulus_channel_name": "Current1"},
        lambda: axon_io(ABF1_VC),
        REAL,
        reader_name="neo.io.AxonIO",
    ),
    "steps_command": Case(
        "AxonIntracellularInterface",
        {"file_path": str(STEPS), "response_channel_name": "IN0", "mode": "current_clamp", "stimulus_command": "Cmd 0"}
        | {"repetition": "r1", "condition": "c1"},
        lambda: axon_io(STEPS),
        REAL,
        reader_name="neo.io.AxonIO",
    ),
    "vc_alone": Case(
        "AxonIntracellularInterface",
        {"file_path": str(VC), "response_channel_name": "IN 0", "mode": "voltage_clamp", "metadata_key": "vc"},
        lambda: axon_io(VC),
        REAL,
        reader_name="neo.io.AxonIO",
    ),
}
LEGACY = {
    "abf1": Case(
        "AbfInterface",
        {"file_paths": [str(ABF1_VC)], "icephys_metadata": {"cell_id": "c1", "slice_id": "s1"}},
        lambda: [axon_io(ABF1_VC)],
        REAL,
        reader_name="neo.io.AxonIO",
    ),
    "two_files": Case(
        "AbfInterface",
        {"file_paths": [str(RAMP), str(VC)], "icephys_metadata": sessions((RAMP, "current_clamp"))},
        lambda: [axon_io(RAMP), axon_io(VC)],
        REAL,
        reader_name="neo.io.AxonIO",
        expect={"modes": ["current_clamp", "voltage_clamp"]},  # VC's mode from its unit (A): nwbstream's default
    ),
}

BRUKER = Case(
    "BrukerVoltageRecordingInterface",
    {"stimulus_type": "steps"},  # file_paths: the generated cycles, given out of order
    lambda: pd.read_csv,
    GENERATED,
    reader_name="pandas.read_csv",
)

# One stub session of several runs: an Axon run, a legacy two-file run, and a dual patch (both channels of the
# ABF1 file as two Axon electrodes).
DUAL = {"file_path": str(ABF1_VC), "mode": "voltage_clamp"}
STUB_SESSION = {
    "steps": AXON["steps_command"],
    "legacy": LEGACY["two_files"],
    "dual_a": Case("AxonIntracellularInterface", {**DUAL, "response_channel_name": "Voltage0"}, lambda: None, REAL),
    "dual_b": Case("AxonIntracellularInterface", {**DUAL, "response_channel_name": "Current1"}, lambda: None, REAL),
}


def read_back(path: Path):
    import ndx_dandi_icephys  # noqa: F401 - registers DandiIcephysMetadata for reading

    io = NWBHDF5IO(str(path), "r")
    return io, io.read()


@pytest.fixture(scope="module")
def written(services, tmp_path_factory) -> dict[str, Path]:
    """Every case converted once (each output validated), plus the Bruker cycles and a stub."""
    folder = tmp_path_factory.mktemp("icephys")
    cases = {**AXON, **LEGACY}
    paths = {}
    for name, case in cases.items():
        paths[name] = convert(services, {name: (case.interface, case.source)}, folder / f"{name}.nwb")
    cycles = folder / "cycles"
    cycles.mkdir()
    source = {**BRUKER.source, "file_paths": list(reversed(bruker.write_cycles(cycles)))}
    paths["bruker"] = convert(services, {"vrec": (BRUKER.interface, source)}, folder / "bruker.nwb")
    stub = {key: (case.interface, case.source) for key, case in STUB_SESSION.items()}
    paths["stub"] = convert(services, stub, folder / "stub.nwb", stub_test=True)
    for path in paths.values():
        assert_valid_nwb(path)
    return paths


def si(signal) -> np.ndarray:
    """A neo signal in volts or amperes."""
    unit = "A" if "A" in str(signal.units.dimensionality) else "V"
    return np.asarray(signal.rescale(unit).magnitude, dtype=float)


def in_si(series, start: int = 0, count: int | None = None) -> np.ndarray:
    stop = None if count is None else start + count
    return np.asarray(series.data[start:stop], dtype=float) * series.conversion + series.offset


def sample_times(series, start: int, count: int) -> np.ndarray:
    if series.timestamps is not None:
        return np.asarray(series.timestamps[start : start + count])
    return series.starting_time + np.arange(start, start + count) / series.rate


def assert_close_si(actual: np.ndarray, expected: np.ndarray) -> None:
    """neo scales to float32: equal to its precision."""
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())


# ------------------------------------------------------------------------------------------------ AxonIntracellular


@pytest.mark.parametrize("name", sorted(AXON))
def test_axon_sweeps_equal_neo(written, name):
    """Each sweep of the continuous series is neo's segment: values in SI, rate, start time; its stimulus too."""
    case = AXON[name]
    reader = case.read()
    block, protocol = reader.read_block(), reader.read_protocol() if "stimulus_command" in case.source else None
    channel = case.source["response_channel_name"].replace(" ", "")
    io, nwbfile = read_back(written[name])
    with io:
        (response,) = nwbfile.acquisition.values()
        rows = nwbfile.intracellular_recordings
        assert len(rows) == len(block.segments)
        references = rows["responses"]["response"]
        stimuli = rows["stimuli"]["stimulus"]
        for sweep, segment in enumerate(block.segments):
            (signal,) = segment.analogsignals
            column = [str(n).replace(" ", "") for n in signal.array_annotations["channel_names"]].index(channel)
            reference = references[sweep]
            assert reference.timeseries is response
            expected = si(signal)[:, column]
            assert reference.count == len(expected)
            assert_close_si(in_si(response, reference.idx_start, reference.count), expected)
            times = sample_times(response, reference.idx_start, 2)
            assert times[0] == pytest.approx(float(signal.t_start.rescale("s")), abs=1e-9)
            assert 1 / (times[1] - times[0]) == pytest.approx(float(signal.sampling_rate.rescale("Hz")))
            stimulus = stimuli[sweep]
            if "stimulus_command" in case.source:
                command = protocol[sweep].analogsignals[0]  # Cmd 0
                assert_close_si(in_si(stimulus.timeseries, stimulus.idx_start, stimulus.count), si(command)[:, 0])
            elif "stimulus_channel_name" in case.source:
                assert_close_si(in_si(stimulus.timeseries, stimulus.idx_start, stimulus.count), si(signal)[:, 1])
            else:
                assert stimulus.timeseries is None
        header = reader.header["signal_channels"][
            [str(n).replace(" ", "") for n in reader.header["signal_channels"]["name"]].index(channel)
        ]
        scale = {"pA": 1e-12, "mV": 1e-3, "A": 1.0}[str(header["units"])]
        assert response.conversion == pytest.approx(float(header["gain"]) * scale)  # raw samples, scaled on read
        assert response.data.dtype == np.dtype(header["dtype"])
        rate = float(block.segments[0].analogsignals[0].sampling_rate.rescale("Hz"))
        if name == "abf1_monitor":  # sweeps 60 s apart: NeuroConv writes timestamps
            assert response.rate is None and len(response.timestamps) == len(response.data)
        else:
            assert response.rate == pytest.approx(rate) and response.starting_time == 0.0


def test_axon_metadata_names_electrode_and_device(written):
    io, nwbfile = read_back(written["steps_command"])
    with io:
        electrode = nwbfile.icephys_electrodes["IntracellularElectrode171116sh0018IN0"]
        assert electrode.device.name == "MultiClamp 700"
        assert type(nwbfile.acquisition["CurrentClampSeries171116sh0018IN0"]).__name__ == "CurrentClampSeries"
        assert type(nwbfile.stimulus["CurrentClampStimulusSeries171116sh0018IN0"]).__name__ == (
            "CurrentClampStimulusSeries"
        )
        rows = nwbfile.intracellular_recordings
        assert rows.colnames == ("sequence", "stimulus_type", "repetition", "condition")
        assert set(rows["sequence"][:]) == {"171116sh_0018"}
        assert set(rows["stimulus_type"][:]) == {"0113 steps dual -100 to 300 step 25"}
        assert set(rows["repetition"][:]) == {"r1"} and set(rows["condition"][:]) == {"c1"}
        assert nwbfile.icephys_simultaneous_recordings is None  # NeuroConv leaves the hierarchy to its converter
    io, nwbfile = read_back(written["vc_alone"])
    with io:  # no telegraph: NeuroConv's placeholder device
        (electrode,) = nwbfile.icephys_electrodes.values()
        assert electrode.device.name == "PlaceholderIntracellularDevice"


# ------------------------------------------------------------------------------------------------ legacy AbfInterface


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_legacy_series_per_sweep_equal_neo(written, name):
    """One series per sweep and channel, named as NeuroConv names them, equal to neo's segment in SI units, each
    file one sequential recording of one simultaneous recording per sweep."""
    case = LEGACY[name]
    io, nwbfile = read_back(written[name])
    with io:
        number, row = 0, 0
        simultaneous = nwbfile.icephys_simultaneous_recordings["recordings"]
        sequential = nwbfile.icephys_sequential_recordings
        assert len(sequential) == len(case.source["file_paths"])
        for file_index, reader in enumerate(case.read()):
            version = reader._axon_info["fFileVersionNumber"]
            mode = "izero" if version < 2 else case.expect["modes"][file_index]
            protocol = reader.read_protocol() if mode != "izero" else None
            start = 0.0 if file_index == 0 else relative_start(case.read()[0], reader)
            for sweep, segment in enumerate(reader.read_block().segments):
                number += 1
                (signal,) = segment.analogsignals
                assert list(simultaneous[number - 1].index) == list(range(row, row + signal.shape[1]))
                for channel in range(signal.shape[1]):
                    response = nwbfile.acquisition[f"{mode}-response-{number:02}-ch-{channel}"]
                    assert response.electrode.name == f"electrode-{channel}"
                    assert response.electrode.device.name == "DeviceIcephys"
                    assert_close_si(in_si(response), si(signal)[:, channel])
                    assert response.rate == float(signal.sampling_rate.rescale("Hz"))
                    assert response.starting_time == pytest.approx(float(signal.t_start.rescale("s")) + start)
                    if protocol is not None:
                        stimulus = nwbfile.stimulus[f"stimulus-{number:02}-ch-{channel}"]
                        assert_close_si(in_si(stimulus), si(protocol[sweep].analogsignals[channel])[:, 0])
                    assert nwbfile.intracellular_recordings["responses"]["response"][row].timeseries is response
                    row += 1
        assert len(nwbfile.intracellular_recordings) == row


def relative_start(first, reader) -> float:
    """NeuroConv's offset of a later file: whole seconds between the files' header start times."""
    import datetime as dt

    def start(r):
        info = r._axon_info
        day = dt.datetime.strptime(str(info["uFileStartDate"]), "%Y%m%d")
        return day + dt.timedelta(seconds=round(info["uFileStartTimeMS"] / 1000))

    return float((start(reader) - start(first)).seconds)


def test_legacy_dandi_lab_metadata(written):
    io, nwbfile = read_back(written["abf1"])
    with io:
        lab = nwbfile.lab_meta_data["DandiIcephysMetadata"]
        assert (lab.cell_id, lab.slice_id, lab.targeted_layer) == ("c1", "s1", "")
        assert list(nwbfile.icephys_sequential_recordings["stimulus_type"][:]) == ["not described"]


# ------------------------------------------------------------------------------------------------ Bruker


def test_bruker_cycles_on_one_timeline(written):
    """Cycles given out of order are laid end to end by start time; values are the CSV's times Multiplier /
    Divisor in volts; the gaps between cycles make explicit timestamps."""
    cycles = sorted(Path(written["bruker"]).parent.joinpath("cycles").glob("*.csv"))
    starts = bruker.start_times()
    io, nwbfile = read_back(written["bruker"])
    with io:
        response = nwbfile.acquisition["CurrentClampSeriesCell1001Primary"]
        assert response.electrode.name == "IntracellularElectrodeCell1001"
        assert response.electrode.device.name == bruker.AMPLIFIER
        references = nwbfile.intracellular_recordings["responses"]["response"]
        assert len(references) == len(cycles)
        for index, (csv, start) in enumerate(zip(cycles, starts, strict=True)):
            table = BRUKER.read()(csv)
            expected = table[" Primary"].to_numpy() * bruker.MULTIPLIER / bruker.DIVISOR * 1e-3
            reference = references[index]
            np.testing.assert_allclose(in_si(response, reference.idx_start, reference.count), expected)
            times = sample_times(response, reference.idx_start, reference.count)
            offset = (start - starts[0]).total_seconds()
            np.testing.assert_allclose(times, offset + table["Time(ms)"].to_numpy() / 1000, atol=1e-9)
        assert set(nwbfile.intracellular_recordings["stimulus_type"][:]) == {"steps"}


# ------------------------------------------------------------------------------------------------ stub, bad input


def test_stub_keeps_the_first_sweep_of_each_run(written):
    io, nwbfile = read_back(written["stub"])
    with io:
        axon = nwbfile.acquisition["CurrentClampSeries171116sh0018IN0"]
        assert len(axon.data) == 2 * 20000  # the first sweep, cut to 2 s
        legacy = [name for name in nwbfile.acquisition if "-response-" in name]
        assert sorted(legacy) == ["current_clamp-response-01-ch-0", "voltage_clamp-response-02-ch-0"]
        # several runs in one file: the legacy rows get "" in the run-level columns the Axon runs add
        sequence = ["171116sh_0018", "", "", "05210017_vc_abf1", "05210017_vc_abf1"]
        assert list(nwbfile.intracellular_recordings["sequence"][:]) == sequence
        assert len(nwbfile.icephys_sequential_recordings) == 2
        # the dual patch: two electrodes on the one placeholder device, each its own series of one 2 s sweep
        dual = [nwbfile.acquisition[f"VoltageClampSeries05210017VcAbf1{c}"] for c in ("Voltage0", "Current1")]
        assert [len(series.data) for series in dual] == [2 * 20000] * 2
        assert dual[0].electrode is not dual[1].electrode
        assert dual[0].electrode.device is dual[1].electrode.device
        assert dual[0].electrode.device.name == "PlaceholderIntracellularDevice"


def truncated_abf(folder: Path) -> Path:
    path = folder / "truncated.abf"
    path.write_bytes(STEPS.read_bytes()[:300])
    return path


def csv_without_xml(folder: Path) -> Path:
    (csv,) = [Path(p) for p in bruker.write_cycles(folder, bruker.STARTS[:1])]
    csv.with_suffix(".xml").unlink()
    return csv


@pytest.mark.parametrize(
    "interface, make, source",
    [
        ("AxonIntracellularInterface", truncated_abf, {"response_channel_name": "IN0", "mode": "current_clamp"}),
        ("AbfInterface", truncated_abf, {}),
        ("BrukerVoltageRecordingInterface", csv_without_xml, {}),
    ],
)
def test_bad_file_names_it_and_writes_nothing(services, tmp_path, interface, make, source):
    path = make(tmp_path)
    argument = {"file_path": str(path)} if interface == "AxonIntracellularInterface" else {"file_paths": [str(path)]}
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=path.name):
        convert(services, {"x": (interface, {**argument, **source})}, out, metadata=copy.deepcopy(START))
    assert list(tmp_path.glob("*.nwb")) == [] and not out.exists()


def test_zarr_is_refused_before_anything_is_written(services, tmp_path):
    """hdmf-zarr would store the icephys tables' references with pickle, which zarr no longer decodes."""
    case = AXON["steps_command"]
    out = tmp_path / "out.nwb.zarr"
    with pytest.raises(Exception, match="intracellular recordings cannot be written to Zarr"):
        convert(services, {"x": (case.interface, case.source)}, out, metadata=copy.deepcopy(START), backend="zarr")
    assert list(tmp_path.iterdir()) == []


def test_legacy_metadata_from_a_json_file(tmp_path):
    """icephys_metadata_file_path: the DANDI lab metadata and each file's session entry, as NeuroConv lays them out."""
    from nwbstream.icephys.abf import AbfInterface

    given = {"cell_id": "c7", **sessions((RAMP, "current_clamp"))}
    given["recording_sessions"][0]["stimulus_type"] = "ramp"
    path = tmp_path / "icephys.json"
    path.write_text(json.dumps(given))
    metadata = AbfInterface.open({"file_paths": [str(RAMP)], "icephys_metadata_file_path": str(path)}).get_metadata()
    assert metadata["ndx-dandi-icephys"] == {
        "cell_id": "c7",
        "slice_id": None,
        "targeted_layer": "",
        "inferred_layer": "",
    }
    assert metadata["NWBFile"]["session_start_time"] == "2017-10-05T14:42:42"
    (session,) = metadata["Icephys"]["Sessions"]
    assert session["icephys_experiment_type"] == "current_clamp" and session["stimulus_type"] == "ramp"
    assert [r["intracellular_recordings_table_ind"] for r in session["recordings"]] == [0, 1]
    assert metadata["Icephys"]["Electrodes"] == [
        {"name": "electrode-0", "description": "no description", "device": "DeviceIcephys"}
    ]
