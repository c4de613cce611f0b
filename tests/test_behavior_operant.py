"""Operant events through the real behavior service: MedPC (legacy ndx-events Events and IntervalSeries), MedPC
array and packed events and CSV events (NWB 2.9 EventsTables), read back with pynwb and compared with the source
read here: the Med-PC files with regular expressions written from the published layout (not the service's reader),
the CSV with pandas."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nwbstream.coordinator.converter import Converter
from nwbstream.coordinator.errors import ConversionError
from pynwb import NWBHDF5IO

from .cases import Case
from .conftest import START, TESTDATA, convert
from .fixtures.behavior import operant
from .nwbcheck import assert_valid_nwb

MEDPC = TESTDATA / "behavior" / "medpc" / "data"  # Med-PC IV, 9 sessions (subjects 56-64) of one program
REAL = "real: Med-PC IV output file behavior/medpc/data (medpc2excel's example, 9 sessions)"
# What the file does not say (its subject id and start time come from the header).
UNSAID = {
    "NWBFile": {"session_description": "operant"},
    "Subject": {"species": "Mus musculus", "sex": "M", "age": "P90D"},
}


def read_medpc_arrays(path: Path, subject: str) -> dict[str, np.ndarray]:
    """The arrays of the session of `subject`: a session runs from a `Start Date:` line to the next; an array is
    `X:` alone on a line, then rows `N: values`; the zeros MED-PC pads an array with are dropped from its end."""
    text = Path(path).read_bytes().decode().replace("\r\n", "\n").replace("\r", "\n")
    sessions = re.split(r"^(?=Start Date:)", text, flags=re.M)[1:]
    session = next(s for s in sessions if re.search(rf"^Subject:\s*{re.escape(subject)}\s*$", s, re.M))
    arrays = {}
    for match in re.finditer(r"^([A-Z]):[ \t]*\n((?:[ \t]*\d+:[^\n]*\n?)*)", session, re.M):
        values = [float(v) for row in match.group(2).splitlines() for v in row.split(":", 1)[1].split()]
        arrays[match.group(1)] = np.trim_zeros(np.array(values), "b")
    return arrays


def read_medpc_header(path: Path, subject: str) -> dict[str, str]:
    text = Path(path).read_bytes().decode().replace("\r\n", "\n").replace("\r", "\n")
    session = next(s for s in re.split(r"^(?=Start Date:)", text, flags=re.M) if f"Subject: {subject}\n" in s)
    return dict(re.findall(r"^([A-Za-z ]{2,}): (.+)$", session, re.M))


def read_back(path: Path):
    io = NWBHDF5IO(path, "r", load_namespaces=True)
    return io, io.read()


def write(services, tmp_path, interfaces, metadata=START, **options) -> Path:
    path = convert(services, interfaces, tmp_path / "out.nwb", metadata=metadata, **options)
    assert_valid_nwb(path)
    return path


# ------------------------------------------------------------------------------------------------ MedPC (legacy)

LEGACY_NAMES = {
    "Start Date": {"name": "start_date", "is_array": False},
    "Subject": {"name": "subject", "is_array": False},
}
LEGACY = Case(
    "MedPCInterface",
    {
        "file_path": str(MEDPC),
        "session_conditions": {"Start Date": "01/23/20", "Subject": 58},  # a YAML number matches the line's text
        "start_variable": "Start Date",
        "metadata_medpc_name_to_info_dict": {**LEGACY_NAMES, "MSN": {"name": "MSN", "is_array": False}},
    },
    lambda: read_medpc_arrays(MEDPC, "58"),
    REAL,
)
LEGACY_EVENTS = {"F": "left_lever", "G": "port_entry", "K": "right_lever", "P": "pellet", "Q": "sucrose"}


def legacy_metadata(arrays: dict[str, str], events: list[str], intervals: list[dict] = ()) -> dict:
    metadata = copy.deepcopy(START)
    metadata["MedPC"] = {
        "medpc_name_to_info_dict": {letter: {"name": name, "is_array": True} for letter, name in arrays.items()},
        "Events": [{"name": name, "description": f"{name} times"} for name in events],
        "IntervalSeries": list(intervals),
    }
    return metadata


def test_medpc_events_per_variable_of_the_chosen_session(services, tmp_path):
    expected = LEGACY.read()
    assert not np.array_equal(expected["F"], read_medpc_arrays(MEDPC, "56")["F"])  # the session matters
    metadata = legacy_metadata({**LEGACY_EVENTS, "I": "unused"}, list(LEGACY_EVENTS.values()))
    path = write(services, tmp_path, {"medpc": (LEGACY.interface, LEGACY.source)}, metadata)
    io, nwbfile = read_back(path)
    with io:
        module = nwbfile.processing["behavior"]
        assert module.description == "Behavioral data from MedPC output files."
        assert set(module.data_interfaces) == set(LEGACY_EVENTS.values())
        for letter, name in LEGACY_EVENTS.items():
            events = module[name]
            assert type(events).__name__ == "Events" and events.description == f"{name} times"
            np.testing.assert_array_equal(events.timestamps[:], expected[letter])
        assert expected["M"][-1] != 0 and 0 in expected["M"]  # a zero inside an array is a value, not padding


def test_medpc_reports_its_variables_from_the_start_variable_on(services):
    header = read_medpc_header(MEDPC, "58")
    with Converter({"medpc": (LEGACY.interface, LEGACY.source)}, services) as converter:
        reported = converter.get_metadata()["MedPC"]
    assert reported == {"start_date": header["Start Date"], "subject": "58", "MSN": header["MSN"]}
    source = {**LEGACY.source, "start_variable": "Subject"}  # the session is read from its Subject line on
    with Converter({"medpc": (LEGACY.interface, source)}, services) as converter:
        assert converter.get_metadata()["MedPC"] == {"subject": "58", "MSN": header["MSN"]}


def test_medpc_intervals_pair_onsets_with_durations(services, tmp_path):
    source = operant.write_array_medpc(tmp_path)
    arrays = read_medpc_arrays(Path(source["file_path"]), "A1")
    legacy = {
        "file_path": source["file_path"],
        "session_conditions": source["session_header"],
        "start_variable": "Start Date",
        "metadata_medpc_name_to_info_dict": LEGACY_NAMES,
    }
    interval = {"name": "poke_epochs", "description": "pokes", "onset_name": "poke", "duration_name": "poke_length"}
    metadata = legacy_metadata({"C": "poke", "D": "poke_length"}, ["poke"], [interval])
    metadata["MedPC"]["module_name"] = "operant"
    path = write(services, tmp_path, {"medpc": ("MedPCInterface", legacy)}, metadata)
    io, nwbfile = read_back(path)
    with io:
        module = nwbfile.processing["operant"]
        series = module["behavioral_epochs"]["poke_epochs"]
        assert type(module["behavioral_epochs"]).__name__ == "BehavioralEpochs"
        onsets, durations = arrays["C"][: len(arrays["D"])], arrays["D"]  # the last poke has no duration
        np.testing.assert_array_equal(series.timestamps[:], np.column_stack([onsets, onsets + durations]).ravel())
        np.testing.assert_array_equal(series.data[:], np.tile([1, -1], len(durations)))
        np.testing.assert_array_equal(module["poke"].timestamps[:], arrays["C"])


@pytest.mark.parametrize(
    "aligned, events, match",
    [([], ["right_lever"], "right_lever"), (["left_lever"], ["left_lever"], "aligned timestamps")],
    ids=["not named", "aligned"],
)
def test_medpc_needs_the_arrays_named_in_metadata(services, tmp_path, aligned, events, match):
    """NeuroConv takes aligned arrays from set_aligned_timestamps, which nwbstream does not have."""
    source = {**LEGACY.source, "aligned_timestamp_names": aligned}
    metadata = legacy_metadata({"F": "left_lever"}, events)
    with pytest.raises(ConversionError, match=match):
        convert(services, {"medpc": (LEGACY.interface, source)}, tmp_path / "out.nwb", metadata=metadata)
    assert not (tmp_path / "out.nwb").exists()


# ---------------------------------------------------------------------------------------------- MedPC array events

ARRAY = Case(
    "MedPCArrayEventsInterface",
    {
        "file_path": str(MEDPC),
        "session_header": {"Start Date": "01/23/20", "Subject": "57"},
        "event_configuration": {"F": None, "G": None, "K": None},
    },
    lambda: read_medpc_arrays(MEDPC, "57"),
    REAL,
)


@pytest.mark.parametrize("stub", [False, True], ids=["full", "stub"])
def test_medpc_arrays_become_events_tables(services, tmp_path, stub):
    """Events are few: stub mode writes them all, as NeuroConv does."""
    expected, header = ARRAY.read(), read_medpc_header(MEDPC, "57")
    path = write(services, tmp_path, {"medpc": (ARRAY.interface, ARRAY.source)}, UNSAID, stub_test=stub)
    io, nwbfile = read_back(path)
    with io:
        assert set(nwbfile.events) == {"F", "G", "K"}
        for letter in ("F", "G", "K"):
            table = nwbfile.events[letter]
            assert table.colnames == ("timestamp",)
            np.testing.assert_array_equal(table["timestamp"][:], expected[letter])
        assert nwbfile.session_start_time.replace(tzinfo=None).isoformat() == "2020-01-23T16:38:09"
        assert nwbfile.subject.subject_id == "57" and nwbfile.protocol == header["MSN"]
        assert nwbfile.experiment_description == header["Experiment"]


def test_medpc_array_durations_payload_and_relative_mode(services, tmp_path):
    source = operant.write_array_medpc(tmp_path)
    arrays = read_medpc_arrays(Path(source["file_path"]), "A1")
    relative = {**source, "event_configuration": {"F": None}, "relative_mode": True, "metadata_key": "pokes"}
    relative["time_unit"] = 0.5  # seconds per stored value, as a number (a BTIME counter's resolution, say)
    path = write(
        services,
        tmp_path,
        {"medpc": ("MedPCArrayEventsInterface", source), "gaps": ("MedPCArrayEventsInterface", relative)},
    )
    io, nwbfile = read_back(path)
    with io:
        table = nwbfile.events["C"]
        assert table.colnames == ("timestamp", "E", "duration")  # NeuroConv's order: duration comes with the rows
        np.testing.assert_array_equal(table["timestamp"][:], arrays["C"])
        np.testing.assert_array_equal(table["duration"][:-1], arrays["D"])
        assert np.isnan(table["duration"][-1])  # the session stopped before the last event ended
        assert table["E"].data.dtype.kind == "i"
        np.testing.assert_array_equal(table["E"][:], arrays["E"].astype(int))
        gaps = nwbfile.events["F"]["timestamp"][:]
        np.testing.assert_allclose(gaps, np.cumsum(arrays["F"]) * 0.5, rtol=0, atol=1e-9)


def test_an_empty_array_is_an_empty_table_and_no_legacy_events(services, tmp_path):
    """Subject 61 never pressed the left lever: its F array is a name with no rows."""
    expected = read_medpc_arrays(MEDPC, "61")
    assert expected["F"].size == 0 and expected["G"].size > 0
    legacy = {**LEGACY.source, "session_conditions": {"Subject": 61}}
    arrays = {**ARRAY.source, "session_header": {"Subject": "61"}, "event_configuration": {"F": None, "G": None}}
    metadata = legacy_metadata({"F": "left_lever", "G": "port_entry"}, ["left_lever", "port_entry"])
    interfaces = {"medpc": ("MedPCInterface", legacy), "arrays": ("MedPCArrayEventsInterface", arrays)}
    io, nwbfile = read_back(write(services, tmp_path, interfaces, metadata))
    with io:
        assert set(nwbfile.processing["behavior"].data_interfaces) == {"port_entry"}  # NeuroConv skips empty ones
        assert len(nwbfile.events["F"]) == 0  # ... but writes an empty events table
        np.testing.assert_array_equal(nwbfile.events["G"]["timestamp"][:], expected["G"])


# --------------------------------------------------------------------------------------------- MedPC packed events


def test_medpc_packed_codes_become_event_types(services, tmp_path):
    source = operant.write_packed_medpc(tmp_path)
    packed = read_medpc_arrays(Path(source["file_path"]), "P2")["A"]
    path = write(services, tmp_path, {"medpc": ("MedPCPackedEventsInterface", source)}, UNSAID)
    io, nwbfile = read_back(path)
    with io:
        codes = np.round((packed % 1) * 1000).astype(int)
        assert set(nwbfile.events) == {f"{code:03d}" for code in operant.PACKED_CODES}
        for code in operant.PACKED_CODES:
            expected = np.floor(packed[codes == code]) * 0.01  # centiseconds
            np.testing.assert_allclose(nwbfile.events[f"{code:03d}"]["timestamp"][:], expected, rtol=0, atol=1e-9)


# ------------------------------------------------------------------------------------------------------ CSV events


def test_csv_events_columns_and_types(services, tmp_path):
    source = operant.write_events_csv(tmp_path)
    rows = pd.read_csv(source["file_path"], keep_default_na=False, dtype=str)
    rows = rows[rows["onset_ms"] != ""]
    metadata = {**START, "Events": {"operant_events": {"event_types": {"NA": {"event_name": "timeout"}}}}}
    path = write(services, tmp_path, {"events": ("CSVEventsInterface", source)}, metadata)
    io, nwbfile = read_back(path)
    with io:
        assert set(nwbfile.events) == {"Lever", "Reward", "Timeout"}  # NeuroConv CamelCases lowercase names
        for label, name in {"lever": "Lever", "reward": "Reward", "NA": "Timeout"}.items():
            table, mine = nwbfile.events[name], rows[rows["event"] == label]
            assert table.colnames == ("timestamp", "amount", "side", "duration")
            np.testing.assert_array_equal(table["timestamp"][:], mine["onset_ms"].astype(float) / 1000)
            np.testing.assert_array_equal(
                table["duration"][:], pd.to_numeric(mine["duration_ms"], errors="coerce") / 1000
            )
            assert table["amount"].data.dtype == np.float64  # a blank cell makes the column float
            np.testing.assert_array_equal(table["amount"][:], pd.to_numeric(mine["amount"], errors="coerce"))
            assert list(table["side"][:]) == list(mine["side"])


def test_csv_events_by_position_without_a_header(services, tmp_path):
    path = tmp_path / "pokes.csv"
    pd.DataFrame([[0.5, 2], [1.25, 3], [3.0, 1]]).to_csv(path, index=False, header=False)
    source = {"file_path": str(path), "timestamps_column": 0, "event_type_column": None, "value_columns": [1]}
    out = write(services, tmp_path, {"events": ("CSVEventsInterface", source)})
    io, nwbfile = read_back(out)
    with io:
        table = nwbfile.events["Pokes"]  # one event type, named after the file
        np.testing.assert_array_equal(table["timestamp"][:], [0.5, 1.25, 3.0])
        assert table["1"].data.dtype.kind == "i" and list(table["1"][:]) == [2, 3, 1]


# ------------------------------------------------------------------------------------------------------ bad input


def not_medpc(folder: Path) -> Path:
    path = folder / "notes.txt"
    path.write_text("onset,label\n1.0,lever\n")
    return path


def truncated(folder: Path) -> Path:
    path = folder / "data"
    path.write_bytes(MEDPC.read_bytes()[:600])  # the first session's A array stops mid-row, F is gone
    return path


BAD = {
    "not a Med-PC file": ("MedPCArrayEventsInterface", not_medpc, {"event_configuration": {"F": None}}),
    "array cut off": ("MedPCArrayEventsInterface", truncated, {"event_configuration": {"F": None}}),
    "no such session": (
        "MedPCPackedEventsInterface",
        lambda f: MEDPC,
        {"events_variable": "F", "session_header": {"Subject": "99"}},
    ),
    "wrong unit": (
        "MedPCArrayEventsInterface",
        lambda f: MEDPC,
        {"event_configuration": {"F": None}, "time_unit": "decaseconds"},
    ),
    "not an events CSV": ("CSVEventsInterface", not_medpc, {"timestamps_column": "time", "event_type_column": None}),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_source_is_refused_naming_the_file(services, tmp_path, case):
    interface, make, arguments = BAD[case]
    path = make(tmp_path)
    source = {"file_path": str(path), **arguments}
    if interface.startswith("MedPC"):
        source = {"session_header": {"Subject": "56"}, **source}
    with pytest.raises(ConversionError, match=re.escape(path.name)):
        convert(services, {"events": (interface, source)}, tmp_path / "out.nwb")
    assert not (tmp_path / "out.nwb").exists() and not list(tmp_path.glob(".*partial*"))


# For docs/formats.md: the cases on generated files (their sources are written at run time).
GENERATED = "generated in MED-PC IV's text layout (tests/fixtures/behavior/operant.py)"
MEDPC_READER = "read_medpc_arrays"  # the test's own parse: Med-PC files have no Python reader to install
GENERATED_CASES = {
    "legacy": Case("MedPCInterface", {}, read_medpc_arrays, GENERATED, reader_name=MEDPC_READER),
    "array": Case("MedPCArrayEventsInterface", {}, read_medpc_arrays, GENERATED, reader_name=MEDPC_READER),
    "packed": Case("MedPCPackedEventsInterface", {}, read_medpc_arrays, GENERATED, reader_name=MEDPC_READER),
    "csv": Case(
        "CSVEventsInterface",
        {},
        pd.read_csv,
        "generated with pandas (tests/fixtures/behavior/operant.py)",
        reader_name="read_csv (pandas)",
    ),
}
