"""GuPPy output folders through the real ophys service: the ndx-guppy objects read back with pynwb and compared with
the GuPPy files read here with h5py, pandas and json (what `write_guppy` of tests/fixtures/ophys/generate.py puts
in them), and NeuroConv 0.10.2's metadata for the same folder."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from nwbstream.coordinator.converter import Converter
from pynwb import NWBHDF5IO

from .conftest import START, convert
from .fixtures.ophys import generate
from .nwbcheck import assert_valid_nwb

INTERFACE = "GuppyInterface"
PREFIXES = {"cntrl_sig_fit": ("control_fit", "n.a."), "dff": ("dff", "a.u."), "z_score": ("z_score", "a.u.")}
NEUROCONV_METADATA = Path("/work/ophys-check/guppy/get_metadata.json")
# docs/formats.md: the fixture the cases here are built on
FIXTURES = {INTERFACE: "generated with h5py and json (a GuPPy output folder)"}


@pytest.fixture
def folder(tmp_path) -> Path:
    return Path(generate.write_guppy(tmp_path / "src")["folder_path"])


def add_site(folder: Path, site: str, offset: float) -> None:
    """A second recording site: its labels in storesList.csv and its files, the first site's values + offset."""
    ids, labels = (pd.read_csv(folder / "storesList.csv", header=None).to_numpy().tolist()[row] for row in (0, 1))
    ids += [f"S{site}", f"C{site}"]
    labels += [f"signal_{site}", f"control_{site}"]
    (folder / "storesList.csv").write_text(f"{','.join(ids)}\n{','.join(labels)}\n")
    shutil.copy(folder / "timeCorrection_dms.hdf5", folder / f"timeCorrection_{site}.hdf5")
    for prefix in PREFIXES:
        with (
            h5py.File(folder / f"{prefix}_dms.hdf5", "r") as source,
            h5py.File(folder / f"{prefix}_{site}.hdf5", "w") as out,
        ):
            out["data"] = source["data"][:] + offset


def add_event(folder: Path, store: str, event: str, onsets: np.ndarray) -> None:
    """A behavioral event store: its label in storesList.csv and the onsets GuPPy kept, at every site."""
    ids, labels = (pd.read_csv(folder / "storesList.csv", header=None).to_numpy().tolist()[row] for row in (0, 1))
    (folder / "storesList.csv").write_text(f"{','.join([*ids, store])}\n{','.join([*labels, event])}\n")
    for site in sites_of(folder):
        with h5py.File(folder / f"{event}_{site}.hdf5", "w") as file:
            file["ts"] = onsets


def write(services, tmp_path, folder: Path, metadata=START, **options) -> Path:
    path = convert(
        services, {"guppy": (INTERFACE, {"folder_path": str(folder)})}, tmp_path / "out.nwb", metadata, **options
    )
    assert_valid_nwb(path)
    return path


def read_back(path: Path):
    import ndx_guppy  # noqa: F401 - registers the extension's types for reading

    io = NWBHDF5IO(path, "r")
    return io, io.read()


def sites_of(folder: Path) -> list[str]:
    labels = pd.read_csv(folder / "storesList.csv", header=None).iloc[1]
    return [label[len("signal_") :] for label in labels if label.startswith("signal_")]


def test_traces_sites_and_parameters_equal_the_guppy_files(services, tmp_path, folder):
    add_site(folder, "nac", offset=10.0)
    path = write(services, tmp_path, folder)
    parameters = json.loads((folder / "GuPPyParamtersUsed.json").read_text())
    io, nwbfile = read_back(path)
    with io:
        module = nwbfile.processing["guppy"]
        assert (
            module.description
            == f"GuPPy-derived fiber photometry processing outputs (GuPPy version {parameters['guppy_version']})."
        )
        sites = module["recording_sites"]
        assert type(sites).__name__ == "GuppyRecordingSitesTable"
        assert list(sites["recording_site"].data[:]) == sites_of(folder) == ["dms", "nac"]
        events = module["events"]
        assert type(events).__name__ == "GuppyEventsTable" and len(events) == 0
        for site in sites_of(folder):
            with h5py.File(folder / f"timeCorrection_{site}.hdf5", "r") as file:
                times, rate = file["timestampNew"][:], float(file["sampling_rate"][0])
            for prefix, (trace_type, unit) in PREFIXES.items():
                with h5py.File(folder / f"{prefix}_{site}.hdf5", "r") as file:
                    data = file["data"][:]
                series = module[f"{prefix}_{site}"]
                assert type(series).__name__ == "GuppyDerivedResponseSeries"
                np.testing.assert_array_equal(series.data[:], data)
                assert (series.trace_type, series.unit) == (trace_type, unit)
                assert series.starting_time == times[0] and series.rate == pytest.approx(rate, rel=1e-12)
                assert series.timestamps is None
                assert series.recording_site.table is sites
                assert [sites["recording_site"][row] for row in series.recording_site.data[:]] == [site]
        written = nwbfile.lab_meta_data["guppy_parameters"]
        assert type(written).__name__ == "GuppyParameters"
        assert written.guppy_version == parameters["guppy_version"]
        assert written.remove_artifacts == parameters["removeArtifacts"]


def test_events_registry_points_at_the_onsets_guppy_kept(services, tmp_path, folder):
    add_event(folder, "PrtN", "port_entries", np.array([0.25, 1.0, 1.5]))
    add_event(folder, "LNRW", "nose_pokes", np.array([0.5, 1.0]))
    path = write(services, tmp_path, folder)
    kept = {}
    for event in ("nose_pokes", "port_entries"):
        with h5py.File(folder / f"{event}_dms.hdf5", "r") as file:
            kept[event] = file["ts"][:]
    io, nwbfile = read_back(path)
    with io:
        registry = nwbfile.processing["guppy"]["events"]
        assert list(registry["event_name"].data[:]) == ["nose_pokes", "port_entries"]  # sorted, as NeuroConv
        onsets = nwbfile.events["GuppyEvents"]
        times = np.asarray(onsets["timestamp"].data[:])
        assert list(times) == sorted(times) and len(times) == 5
        for row, event in enumerate(registry["event_name"].data[:]):
            rows = registry["events"][row]
            np.testing.assert_array_equal(np.asarray(rows["timestamp"]), kept[event])
            assert set(rows["event_type"]) == {event}


def test_onsets_that_differ_between_sites_are_refused(services, tmp_path, folder):
    from nwbstream.coordinator.errors import ConversionError

    add_site(folder, "nac", offset=1.0)
    add_event(folder, "PrtN", "port_entries", np.array([0.25, 1.0]))
    with h5py.File(folder / "port_entries_nac.hdf5", "r+") as file:
        file["ts"][0] = 0.3
    with pytest.raises(ConversionError, match="port_entries_nac.hdf5"):
        convert(services, {"guppy": (INTERFACE, {"folder_path": str(folder)})}, tmp_path / "out.nwb")


def test_every_parameter_guppy_used_is_written(services, tmp_path, folder):
    given = {
        "guppy_version": "2.0.0",
        "zscore_method": "standard z-score",
        "isosbestic_control": True,
        "removeArtifacts": False,
        "bin_psth_trials": 0,
        "nSecPrev": -10,
        "nSecPost": 20,
        "transientsThresh": 3,
        "peak_startPoint": [0, 5, None],  # GuPPy pads the windows with NaN (null in JSON)
        "peak_endPoint": [3, 10, None],
        "psthComparisonsA": ["", "port_entries"],  # and the comparison table with a blank first row
        "psthComparisonsB": ["", "nose_pokes"],
    }
    (folder / "GuPPyParamtersUsed.json").write_text(json.dumps(given))
    path = write(services, tmp_path, folder)
    io, nwbfile = read_back(path)
    with io:
        written = nwbfile.lab_meta_data["guppy_parameters"]
        assert (written.guppy_version, written.zscore_method) == ("2.0.0", "standard z-score")
        assert (written.isosbestic_control, written.remove_artifacts, written.bin_psth_trials) == (True, False, 0)
        assert (written.n_sec_prev, written.n_sec_post, written.transients_thresh) == (-10.0, 20.0, 3.0)
        np.testing.assert_array_equal(written.peak_start_points[:], [0.0, 5.0])
        np.testing.assert_array_equal(written.peak_end_points[:], [3.0, 10.0])
        assert list(written.psth_comparison_events_a[:]) == ["port_entries"]
        assert list(written.psth_comparison_events_b[:]) == ["nose_pokes"]


def test_metadata_is_neuroconvs(services, folder):
    with Converter({"guppy": (INTERFACE, {"folder_path": str(folder)})}, services) as converter:
        metadata = converter.get_metadata()
    expected = json.loads(NEUROCONV_METADATA.read_text())["FiberPhotometry"]["Guppy"]["session_output_1"]
    assert metadata["FiberPhotometry"]["Guppy"][folder.name] == expected


def test_metadata_renames_traces_and_the_module(services, tmp_path, folder):
    metadata = copy.deepcopy(START)
    block = {"ProcessingModule": {"name": "photometry_guppy", "description": "GuPPy run 1."}}
    block["Traces"] = {"dff_dms": {"name": "DeltaFOverF", "description": "dF/F of the DMS fiber."}}
    metadata["FiberPhotometry"] = {"Guppy": {folder.name: block}}
    path = write(services, tmp_path, folder, metadata)
    io, nwbfile = read_back(path)
    with io:
        assert "guppy" not in nwbfile.processing
        module = nwbfile.processing["photometry_guppy"]
        assert module.description == "GuPPy run 1."
        assert module["DeltaFOverF"].description == "dF/F of the DMS fiber."
        with h5py.File(folder / "dff_dms.hdf5", "r") as file:
            np.testing.assert_array_equal(module["DeltaFOverF"].data[:], file["data"][:])
        assert {"cntrl_sig_fit_dms", "z_score_dms", "recording_sites", "events"} <= set(module.data_interfaces)


def test_irregular_times_are_written_whole(services, tmp_path, folder):
    with h5py.File(folder / "timeCorrection_dms.hdf5", "r+") as file:
        times = file["timestampNew"][:] ** 1.5 + 3.0  # no longer evenly spaced
        del file["timestampNew"]
        file["timestampNew"] = times
    path = write(services, tmp_path, folder)
    io, nwbfile = read_back(path)
    with io:
        series = nwbfile.processing["guppy"]["z_score_dms"]
        np.testing.assert_array_equal(series.timestamps[:], times)
        assert series.rate is None


def test_stub_writes_the_first_second(services, tmp_path, folder):
    path = write(services, tmp_path, folder, stub_test=True)
    with h5py.File(folder / "timeCorrection_dms.hdf5", "r") as file:
        times = file["timestampNew"][:]
    first_second = int(np.searchsorted(times, times[0] + 1.0, side="right"))  # NeuroConv's stub
    io, nwbfile = read_back(path)
    with io, h5py.File(folder / "dff_dms.hdf5", "r") as file:
        np.testing.assert_array_equal(nwbfile.processing["guppy"]["dff_dms"].data[:], file["data"][:first_second])


# --------------------------------------------------------------------------------------------------- bad input


def test_a_truncated_hdf5_is_refused_naming_the_file(services, tmp_path, folder):
    from nwbstream.coordinator.errors import ConversionError

    broken = folder / "dff_dms.hdf5"
    broken.write_bytes(broken.read_bytes()[:300])
    with pytest.raises(ConversionError, match=broken.name):
        convert(services, {"guppy": (INTERFACE, {"folder_path": str(folder)})}, tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists() and not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize(
    "adds, named",
    [
        (lambda f: (f / "peak_AUC_port_entries_dms_z_score_dms.h5").write_bytes(b""), "peak_AUC_port_entries"),
        (lambda f: add_event(f, "Cov1", "covariate_akinesia", np.zeros(1)), "covariate_akinesia"),
    ],
)
def test_products_not_converted_yet_are_refused_by_name(services, tmp_path, folder, adds, named):
    from nwbstream.coordinator.errors import ConversionError

    adds(folder)
    with pytest.raises(ConversionError, match=named):
        convert(services, {"guppy": (INTERFACE, {"folder_path": str(folder)})}, tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists()
