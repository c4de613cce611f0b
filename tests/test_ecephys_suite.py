"""Every ecephys interface, one suite: each case (tests/ecephys_cases/) is converted through the ecephys service and
read back with pynwb, and what the file holds is compared with what the field's reader returns for the same source.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

import jsonschema
import numpy as np
import pytest
from nwbstream.coordinator.converter import Converter
from nwbstream.ecephys.recording import STUB_SECONDS
from nwbstream.service import discover_interfaces
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import START, convert
from .ecephys_cases import all_cases
from .nwbcheck import assert_valid_nwb

CASES = all_cases()
WRITTEN = sorted(k for k, c in CASES.items() if c.kind != "refused")
# Formats that cannot be read here: no bad-input case (every input is refused, and the refusal is the test).
REFUSED = {c.interface for c in CASES.values() if c.kind == "refused"}


def prepared(case_id: str) -> Case:
    case = CASES[case_id]
    if case.make is not None:
        case.make()
    return case


def read(case: Case) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return case.read()


def write(services, case: Case, path, **options):
    return convert(services, {case.kind: (case.interface, case.source)}, path, **options)


def series_names(base: str, count: int) -> list[str]:
    """NeuroConv's names for a recording's segments: one series per segment, numbered when there are several."""
    if count == 1:
        return [base]
    return [f"{base}{index:0{math.ceil(math.log10(count))}}" for index in range(count)]


def written_series(nwbfile, case: Case, extractor) -> list:
    parent = case.expect.get("parent", "acquisition")
    names = series_names(case.expect.get("series", "ElectricalSeries"), extractor.get_num_segments())
    if parent == "acquisition":
        return [nwbfile.acquisition[name] for name in names]
    module, holder = parent.split("/")[1:]
    return [nwbfile.processing[module][holder][name] for name in names]


def assert_traces(series, recording, segment: int, n_samples: int | None = None) -> None:
    """Raw values equal; the series' conversion gives the reader's scaled values (computed in float64 from the
    reader's raw values, gains and offsets)."""
    expected = recording.get_traces(segment_index=segment, end_frame=n_samples)
    assert series.data.shape == expected.shape
    assert series.data.dtype == expected.dtype
    np.testing.assert_array_equal(series.data[:], expected)
    gains = recording.get_channel_gains()
    if gains is None or not recording.has_scaleable_traces():
        return
    volts = series.data[:200].astype(float) * series.conversion
    if getattr(series, "channel_conversion", None) is not None:
        volts = volts * series.channel_conversion[:]
    volts += series.offset
    uv = expected[:200].astype(float) * gains + recording.get_channel_offsets()
    np.testing.assert_allclose(volts, uv * 1e-6, rtol=1e-6, atol=1e-12)


def assert_timing(series, recording, segment: int) -> None:
    if recording.has_time_vector(segment_index=segment):
        times = recording.get_times(segment_index=segment)
        if series.timestamps is not None:
            np.testing.assert_array_equal(series.timestamps[:], times)
            return
        assert series.starting_time == pytest.approx(times[0])
        return
    assert series.rate == pytest.approx(recording.get_sampling_frequency())
    assert series.starting_time == pytest.approx(recording.get_start_time(segment_index=segment))


def assert_electrodes(series, recording, case: Case) -> None:
    electrodes = series.electrodes.table
    rows = series.electrodes.data[:]
    names = (
        [str(n).split("\x00", 1)[0].strip() for n in recording.get_property("channel_name")]
        if ("channel_name" in recording.get_property_keys())
        else [str(c) for c in recording.get_channel_ids()]
    )
    assert [electrodes["channel_name"][r] for r in rows] == names
    if "groups" in case.expect:
        assert {electrodes["group_name"][r] for r in rows} == case.expect["groups"]
    positions = recording.get_property("location")
    if positions is None and recording.has_probe():
        positions = recording.get_channel_locations()
    if positions is not None:
        positions = np.asarray(positions, dtype=float)[:, :2]
        written = np.array([[electrodes["rel_x"][r], electrodes["rel_y"][r]] for r in rows])
        np.testing.assert_allclose(written, positions)


def expected_spike_trains(sorting, stub: bool = False) -> list[np.ndarray]:
    """Each unit's spike times in seconds, segment after segment (frames past the stub's end left out)."""
    stub_frames = int(sorting.get_sampling_frequency() * STUB_SECONDS)
    trains = []
    for unit_id in sorting.get_unit_ids():
        per_segment = []
        for segment in range(sorting.get_num_segments()):
            frames = sorting.get_unit_spike_train(unit_id=unit_id, segment_index=segment)
            times = sorting.get_unit_spike_train(unit_id=unit_id, segment_index=segment, return_times=True)
            per_segment.append(np.sort(times[frames < stub_frames] if stub else times))
        trains.append(np.concatenate(per_segment))
    return trains


def assert_units(units, sorting, stub: bool = False) -> None:
    names = sorting.get_property("unit_name")  # a reader's own names win over the ids, as in NeuroConv
    assert list(units["unit_name"][:]) == [str(u) for u in (sorting.get_unit_ids() if names is None else names)]
    for row, train in enumerate(expected_spike_trains(sorting, stub)):
        np.testing.assert_allclose(units["spike_times"][row], train, rtol=0, atol=1e-9)
    for name in sorting.get_property_keys():
        values = np.asarray(sorting.get_property(name))
        if name in units.colnames and values.ndim == 1 and values.dtype.kind in "biu":
            assert list(units[name][:]) == values.tolist()
        elif name in units.colnames and values.ndim == 1 and values.dtype.kind in "US":
            assert list(units[name][:]) == [str(v) for v in values]


@pytest.mark.parametrize("case_id", WRITTEN)
def test_values_read_back_equal_the_reader(services, tmp_path, case_id):
    case = prepared(case_id)
    extractor = read(case)
    path = write(services, case, tmp_path / f"{case_id}.nwb")
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        if case.kind == "sorting":
            assert_units(nwbfile.units, extractor)
        elif case.kind in ("recording", "analog"):
            for segment, series in enumerate(written_series(nwbfile, case, extractor)):
                assert_traces(series, extractor, segment)
                assert_timing(series, extractor, segment)
                if case.kind == "recording":
                    assert_electrodes(series, extractor, case)
        if "device" in case.expect:
            assert case.expect["device"] in nwbfile.devices
        if "session_id" in case.expect:
            assert nwbfile.session_id == case.expect["session_id"]
        if case.check is not None:
            case.check(nwbfile, extractor)
    assert_valid_nwb(path, waive=case.expect.get("waive", frozenset()))


@pytest.mark.parametrize("case_id", WRITTEN)
def test_stub_writes_a_prefix_of_every_stream(services, tmp_path, case_id):
    case = prepared(case_id)
    extractor = read(case)
    path = write(services, case, tmp_path / f"{case_id}.nwb", stub_test=True)
    with NWBHDF5IO(path, "r") as io:
        nwbfile = io.read()
        if case.kind == "sorting":
            assert_units(nwbfile.units, extractor, stub=True)
        elif case.kind in ("recording", "analog"):
            for segment, series in enumerate(written_series(nwbfile, case, extractor)):
                n_samples = series.data.shape[0]
                assert 0 < n_samples <= extractor.get_num_samples(segment_index=segment)
                assert n_samples <= max(1, int(extractor.get_sampling_frequency() * STUB_SECONDS))
                assert_traces(series, extractor, segment, n_samples)
        elif case.check is not None:  # digital lines: the format's own check, on the prefix
            case.check(nwbfile, None)
    assert_valid_nwb(path, waive=case.expect.get("waive", frozenset()))


@pytest.mark.parametrize("case_id", WRITTEN)
def test_session_start_time_is_the_files(services, case_id):
    case = prepared(case_id)
    with Converter({case.kind: (case.interface, case.source)}, services) as converter:
        nwbfile = converter.get_metadata()["NWBFile"]
    assert nwbfile.get("session_start_time") == case.expect.get("session_start_time")


@pytest.mark.parametrize("case_id", WRITTEN)
def test_schemas_are_json_schema_and_metadata_fits_its_own(services, case_id):
    case = prepared(case_id)
    (entry,) = [i for i in services.client_for(case.interface).list_interfaces() if i.name == case.interface]
    jsonschema.validators.validator_for(entry.source_schema).check_schema(entry.source_schema)
    jsonschema.validate(case.source, entry.source_schema)
    with Converter({case.kind: (case.interface, case.source)}, services) as converter:
        metadata, schema = converter.get_metadata(), converter.get_metadata_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    # with what a user adds when the file does not say it: a start time, a subject
    completed = {**metadata, "NWBFile": {**START["NWBFile"], **metadata["NWBFile"]}, "Subject": START["Subject"]}
    jsonschema.validate(completed, schema)


BAD = sorted(
    [(k, "truncate") for k, c in CASES.items() if c.truncate is not None]
    + [(k, "wrong_format") for k, c in CASES.items() if c.wrong_format is not None]
)


@pytest.mark.parametrize(("case_id", "damage"), BAD)
def test_bad_source_names_the_file_and_writes_nothing(services, tmp_path, case_id, damage):
    case = prepared(case_id)
    source, named = getattr(case, damage)(tmp_path)
    out = tmp_path / "out.nwb"
    with warnings.catch_warnings(), pytest.raises(Exception, match=re.escape(str(named))):
        warnings.simplefilter("ignore")
        convert(services, {case.kind: (case.interface, source)}, out)
    assert not out.exists()


@pytest.mark.parametrize("case_id", sorted(k for k, c in CASES.items() if c.kind == "refused"))
def test_refused_formats_say_why(services, tmp_path, case_id):
    case = prepared(case_id)
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=case.expect["error"]):
        convert(services, {case.kind: (case.interface, case.source)}, out)
    assert not out.exists()


def test_every_ecephys_interface_has_cases_with_bad_input():
    offered = {cls.__name__ for cls in discover_interfaces("nwbstream.ecephys")}
    with_cases = {c.interface for c in CASES.values()}
    assert offered <= with_cases, f"interfaces without a case: {sorted(offered - with_cases)}"
    for damage in ("truncate", "wrong_format"):
        covered = {c.interface for c in CASES.values() if getattr(c, damage) is not None}
        assert offered - REFUSED <= covered, f"no {damage} case: {sorted(offered - REFUSED - covered)}"


ARGUMENTS = sorted((k, i) for k, c in CASES.items() for i in range(len(c.expect.get("bad_arguments", []))))


@pytest.mark.parametrize(("case_id", "index"), ARGUMENTS)
def test_bad_arguments_are_named(services, tmp_path, case_id, index):
    """Sources the interface must refuse for their arguments (a stream to choose, a value out of range)."""
    case = prepared(case_id)
    source, message = case.expect["bad_arguments"][index]
    out = tmp_path / "out.nwb"
    with pytest.raises(Exception, match=message):
        convert(services, {case.kind: (case.interface, source)}, out)
    assert not out.exists()
