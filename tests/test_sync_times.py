"""ReadSyncTimes in the ecephys service, format by format: a source's sync pulses (a sync word's bit, a digital line,
an analog TTL, TTL event lines, input ports, epoc stores) as times on the clock of the source's objects. Each is
compared with edges found independently (numpy on the reader's raw samples, or the events the fixture wrote) at the
times spikeinterface gives the series' samples. Real files where they carry pulses; elsewhere a real recording
with pulses written in the format's own layout (tests/fixtures/ecephys)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import spikeinterface.extractors as se
from nwbstream.coordinator.errors import ConversionError
from spikeinterface.extractors.extractor_classes import OpenEphysBinaryRecordingExtractor, SpikeGLXRecordingExtractor

from .ecephys_cases import blackrock, intan_aux, mda, neuralynx, openephys, spikeglx_aux, tdt, writable_copy
from .ecephys_cases.spikeglx_aux import FOLDER, NIDQ, SYNC
from .fixtures.ecephys.neuralynx_ttl import FIRST_US as NEURALYNX_FIRST_US
from .fixtures.ecephys.neuralynx_ttl import PORT1
from .fixtures.ecephys.neuralynx_ttl import write_ttl_events as write_neuralynx_ttl
from .fixtures.ecephys.openephys_ttl import HIGH_SAMPLES, LINE1_ONSETS, LINE3_ONSETS, write_ttl_events
from .fixtures.ecephys.tdt_epocs import ONSET_RECORDS, PULSE_SECONDS, SAMPLES_PER_RECORD, write_epocs


@pytest.fixture(scope="module")
def opened(services):
    """Opens a source in its service (closed at the end of the module)."""
    spikeglx_aux.make()
    sources = []

    def open_source(interface: str, source_data: dict):
        client = services.client_for(interface)
        source = client.open_source(interface, source_data, stub=False)
        sources.append(source)
        return source

    yield open_source
    for source in sources:
        source.service.close_source(source.source_id)


def edges_at(line: np.ndarray, times: np.ndarray, edge: str) -> np.ndarray:
    """The times of the samples where a 0/1 line steps up, down or either way."""
    steps = np.diff(line.astype(np.int64))
    wanted = {"rising": steps > 0, "falling": steps < 0, "both": steps != 0}[edge]
    return times[np.flatnonzero(wanted) + 1]


def expected_edges(stream_id: str, channel: str, edge: str, bit: int | None = None) -> np.ndarray:
    """Edges of a channel's raw samples (bit `bit`, or cut halfway), found by numpy, at spikeinterface's times."""
    stream = SpikeGLXRecordingExtractor(folder_path=FOLDER, stream_id=stream_id)
    (channel_id,) = [c for c in stream.get_channel_ids() if c.endswith(f"#{channel}")]
    raw = stream.get_traces(channel_ids=[channel_id])[:, 0].astype(np.int64)
    line = (raw >> bit) & 1 if bit is not None else raw >= (raw.min() + raw.max()) / 2
    clock = SpikeGLXRecordingExtractor(folder_path=FOLDER, stream_id=stream_id.replace("-SYNC", ""))
    return edges_at(line, clock.get_times(), edge)


@pytest.mark.parametrize("edge", ["rising", "falling", "both"])
def test_imec_sync_word_bit_6_on_the_probe_clock(opened, edge):
    source = opened("SpikeGLXRecordingInterface", {"folder_path": str(FOLDER), "stream_id": "imec0.ap"})
    times = source.service.read_sync_times(source, "SY0", edge, bit=6)
    expected = expected_edges("imec0.ap-SYNC", "SY0", edge, bit=6)
    # the fixture's 1 Hz square wave, high from each second's half: 3 rising and 2 falling edges in 3 s
    assert len(expected) == {"rising": 3, "falling": 2, "both": 5}[edge]
    np.testing.assert_array_equal(times, expected)


def test_imec_sync_bit_defaults_to_6_and_the_sync_channel_interface_agrees(opened):
    probe = opened("SpikeGLXRecordingInterface", {"folder_path": str(FOLDER), "stream_id": "imec0.ap"})
    sync = opened("SpikeGLXSyncChannelInterface", SYNC)
    expected = expected_edges("imec0.ap-SYNC", "SY0", "rising", bit=6)
    np.testing.assert_array_equal(probe.service.read_sync_times(probe, "SY0"), expected)
    np.testing.assert_array_equal(sync.service.read_sync_times(sync, "SY0", bit=6), expected)
    assert len(sync.service.read_sync_times(sync, "SY0", bit=5)) == 0  # the fixture's other status bits stay low


@pytest.mark.parametrize(
    ("channel", "bit", "edge", "line", "count"),
    [
        ("XD0", None, "rising", 0, 30),  # line 0: a 10 Hz square wave over 3 s
        ("XD3", None, "falling", 3, 5),  # line 3: a 5 ms pulse every 0.5 s from 0.5 s
        ("XD0", 3, "both", 3, 10),  # the word XD0's bit 3 is line 3
        ("XD7", None, "falling", 7, 0),  # line 7: high from 1.2 s to the end, never falls
    ],
)
def test_nidq_digital_lines(opened, channel, bit, edge, line, count):
    source = opened("SpikeGLXNIDQInterface", NIDQ)
    times = source.service.read_sync_times(source, channel, edge, bit=bit)
    expected = expected_edges("nidq", "XD0", edge, bit=line)
    assert len(expected) == count
    np.testing.assert_array_equal(times, expected)


def test_nidq_analog_channel_is_cut_at_its_midpoint(opened):
    source = opened("SpikeGLXNIDQInterface", NIDQ)
    times = source.service.read_sync_times(source, "XA0", "rising")
    expected = expected_edges("nidq", "XA0", "rising")
    assert len(expected) == 8  # a 3 Hz sine over 3 s, from 0 up: it crosses its midpoint upward at 1/3 s, 2/3 s, ...
    np.testing.assert_array_equal(times, expected)


def test_a_service_that_never_opened_the_source_reopens_it(opened):
    source = opened("SpikeGLXNIDQInterface", NIDQ)
    unknown = dataclasses.replace(source, source_id="never-opened-here")
    np.testing.assert_array_equal(
        source.service.read_sync_times(unknown, "XD3"), source.service.read_sync_times(source, "XD3")
    )


def intan_edges(path, line: str, edge: str) -> np.ndarray:
    """A digital line's edges found by numpy, at the times of the amplifier channels' samples."""
    digital = se.read_intan(path, stream_name="USB board digital input channel")
    amplifier = se.read_intan(path, stream_id="0")
    return edges_at(digital.get_traces(channel_ids=[line])[:, 0], amplifier.get_times(), edge)


@pytest.mark.parametrize("interface", ["IntanRecordingInterface", "IntanDigitalInterface"])
@pytest.mark.parametrize("edge", ["rising", "falling", "both"])
def test_intan_digital_input_on_the_amplifier_clock(opened, interface, edge):
    """The real one-file-per-signal-type session: DIGITAL-IN-15 carries one pulse (0.0992 s to 0.2002 s)."""
    source = opened(interface, {"file_path": str(intan_aux.OFPS)})
    times = source.service.read_sync_times(source, "DIGITAL-IN-15", edge)
    expected = intan_edges(intan_aux.OFPS, "DIGITAL-IN-15", edge)
    assert len(expected) == {"rising": 1, "falling": 1, "both": 2}[edge]
    np.testing.assert_array_equal(times, expected)


@pytest.mark.parametrize("line", ["DIGITAL-IN-01", "DIGITAL-IN-02"])
def test_intan_rhs_digital_inputs(opened, line):
    intan_aux.make_rhs()
    source = opened("IntanDigitalInterface", {"file_path": str(intan_aux.RHS)})
    expected = intan_edges(intan_aux.RHS, line, "both")
    assert len(expected) > 2
    np.testing.assert_array_equal(source.service.read_sync_times(source, line, "both"), expected)


@pytest.fixture(scope="module")
def openephys_ttl(tmp_path_factory):
    """The real Open Ephys binary recording with TTL pulses written into its (empty) events folder."""
    record_node = writable_copy(openephys.BINARY, tmp_path_factory.mktemp("openephys"))
    write_ttl_events(record_node)
    return {"folder_path": str(record_node), "stream_name": openephys.BINARY_STREAM}


@pytest.mark.parametrize("interface", ["OpenEphysBinaryRecordingInterface", "OpenEphysRecordingInterface"])
@pytest.mark.parametrize(
    ("line", "edge", "onsets"), [("TTL1", "rising", LINE1_ONSETS), ("TTL3", "falling", LINE3_ONSETS)]
)
def test_openephys_ttl_lines_on_the_continuous_clock(opened, openephys_ttl, interface, line, edge, onsets):
    source = opened(interface, openephys_ttl)
    assert source.service.read_sync_times(source, "TTL3", "both").size == 2 * len(LINE3_ONSETS)
    times = source.service.read_sync_times(source, line, edge)
    recording = OpenEphysBinaryRecordingExtractor(**openephys_ttl)
    frames = onsets + (HIGH_SAMPLES if edge == "falling" else 0)  # samples from the stream's first
    np.testing.assert_allclose(times, recording.get_times()[frames], rtol=0, atol=1e-9)


def test_openephys_without_ttl_events_has_no_sync_channels(opened):
    source = opened(
        "OpenEphysBinaryRecordingInterface",
        {"folder_path": str(openephys.BINARY), "stream_name": openephys.BINARY_STREAM},
    )
    with pytest.raises(ConversionError, match="Record Node 106: has no sync channels"):
        source.service.read_sync_times(source, "TTL1")


NEV = blackrock.CASES["blackrock_nev_sorting"].source


PORT_VALUES = [0xFF00, 0xFF10, 0xFF00, 0xFF40, 0xFF45, 0xFF40, 0xFF46, 0xFF66]  # the real .nev's digital port


@pytest.mark.parametrize(
    ("bit", "edge", "events"),
    [
        (4, "both", [1, 2]),
        (2, "rising", [4, 6]),
        (0, "falling", [5]),
        (9, "rising", [0]),  # high from the first event on (the port is low before it)
        (None, "rising", [0]),
    ],
)
def test_blackrock_nev_digital_port_on_the_spike_clock(opened, bit, edge, events):
    source = opened("BlackrockSortingInterface", NEV)
    times = source.service.read_sync_times(source, "digital_input_port", edge, bit=bit)
    reader = se.read_blackrock_sorting(**NEV).neo_reader
    ticks, _, labels = reader.get_event_timestamps(block_index=0, seg_index=0, event_channel_index=0)
    assert labels.astype(int).tolist() == PORT_VALUES
    np.testing.assert_array_equal(times, ticks[events] / 30000.0)  # ticks of 1/30000 s, as the spike times


@pytest.fixture(scope="module")
def neuralynx_ttl(tmp_path_factory):
    """The real Neuralynx folder with TTL input records added to its Events.nev."""
    folder = writable_copy(neuralynx.NEURALYNX, tmp_path_factory.mktemp("neuralynx"))
    write_neuralynx_ttl(folder)
    return {"folder_path": str(folder)}


@pytest.mark.parametrize(
    ("port", "bit", "edge", "events"),
    [
        ("board 0 port 1", 6, "rising", [(1, at) for at, value in PORT1 if value]),
        ("board 0 port 1", 6, "falling", [(1, at) for at, value in PORT1 if not value]),
        ("board 0 port 0", 0, "both", [(0, 0.5), (0, 1.5)]),
        ("board 0 port 0", 1, "rising", [(0, 1.0)]),
        ("board 0 port 0", None, "falling", [(0, 2.0)]),  # any line: high from 0.5 s to 2.0 s
    ],
)
def test_neuralynx_ttl_ports_on_the_ncs_clock(opened, neuralynx_ttl, port, bit, edge, events):
    source = opened("NeuralynxRecordingInterface", neuralynx_ttl)
    times = source.service.read_sync_times(source, port, edge, bit=bit)
    reader = se.read_neuralynx(neuralynx_ttl["folder_path"]).neo_reader
    stamps = np.array([NEURALYNX_FIRST_US + round(at * 1e6) for _, at in events], dtype=np.uint64)
    np.testing.assert_array_equal(times, stamps / 1e6 - reader.global_t_start)


def test_neuralynx_without_ttl_events_has_no_sync_channels(opened):
    source = opened("NeuralynxRecordingInterface", {"folder_path": str(neuralynx.NEURALYNX)})
    with pytest.raises(ConversionError, match="neuralynx: has no sync channels"):
        source.service.read_sync_times(source, "board 0 port 0")


@pytest.fixture(scope="module")
def tdt_epocs(tmp_path_factory):
    """The real TDT tank with an epoc store added to its .tsq."""
    tank = writable_copy(tdt.TDT, tmp_path_factory.mktemp("tdt"))
    write_epocs(tank)
    return {"folder_path": str(tank), "gain": tdt.TDT_GAIN, "stream_name": "LFP1"}


@pytest.mark.parametrize("edge", ["rising", "falling", "both"])
def test_tdt_epoc_store_on_the_stream_clock(opened, tdt_epocs, edge):
    source = opened("TdtRecordingInterface", tdt_epocs)
    times = source.service.read_sync_times(source, "PtC0", edge)
    recording = se.read_tdt(tdt_epocs["folder_path"], stream_name="LFP1")
    onsets = recording.get_times()[np.array(ONSET_RECORDS) * SAMPLES_PER_RECORD]
    offsets = onsets + PULSE_SECONDS
    expected = {"rising": onsets, "falling": offsets, "both": np.sort([*onsets, *offsets])}
    # a record's timestamp is its first sample's time, to within a sample
    np.testing.assert_allclose(times, expected[edge], rtol=0, atol=0.5 / recording.get_sampling_frequency())


@pytest.mark.parametrize(
    ("interface", "source_data", "channel", "edge", "bit", "message"),
    [
        (
            "SpikeGLXNIDQInterface",
            NIDQ,
            "SY0",
            "rising",
            None,
            r"no sync channel 'SY0' \(its sync channels are \['XD0', 'XD1'",
        ),
        ("SpikeGLXNIDQInterface", NIDQ, "XD0", "up", None, r"sync edge 'up' is not one of \['rising'"),
        ("SpikeGLXNIDQInterface", NIDQ, "XA0", "rising", 2, "XA0 is an analog channel"),
        ("SpikeGLXNIDQInterface", NIDQ, "XD3", "rising", 1, "XD3 is one digital line"),
        ("SpikeGLXNIDQInterface", NIDQ, "XD0", "rising", 12, "saved no digital line 12"),
        ("SpikeGLXSyncChannelInterface", SYNC, "SY0", "rising", 16, "bit 16 is not one of its 16 bits"),
        ("BlackrockSortingInterface", NEV, "digital_input_port", "rising", 16, "port: bit 16 is not one of its 16"),
        ("IntanDigitalInterface", {"file_path": str(intan_aux.OFPS)}, "DIGITAL-IN-15", "rising", 0, "has no bit 0"),
    ],
)
def test_bad_requests_name_the_source_and_the_problem(opened, interface, source_data, channel, edge, bit, message):
    source = opened(interface, source_data)
    with pytest.raises(ConversionError, match=message) as error:
        source.service.read_sync_times(source, channel, edge, bit=bit)
    assert str(error.value).startswith(source_data.get("folder_path") or source_data["file_path"])


def test_a_source_without_sync_channels_says_so(opened):
    mda.make()
    source = opened("MdaSortingInterface", mda.CASES["mda_firings"].source)
    with pytest.raises(ConversionError, match=f"{mda.FIRINGS}: has no sync channels"):
        source.service.read_sync_times(source, "SY0")
