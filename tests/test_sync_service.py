"""ReadSyncTimes end to end through an in-process service: a long series crosses in several messages and arrives
whole and in order; a reader failing while it reads pulses is reported naming the source."""

from __future__ import annotations

import numpy as np
import pytest
from nwbstream.coordinator.client import ServiceClient
from nwbstream.coordinator.errors import ConversionError
from nwbstream.service import BaseDataInterface, start_server
from nwbstream.service.servicer import SYNC_CHUNK_VALUES
from nwbstream.v1 import modality_pb2 as pb

N_PULSES = 2 * SYNC_CHUNK_VALUES + 123  # three messages


class PulseSource(BaseDataInterface):
    """A source of N_PULSES rising edges on 'sync', a line whose reader fails on 'broken', and no objects."""

    def __init__(self, name: str = "pulses"):
        """
        Parameters
        ----------
        name : str
            Names the source in messages.
        """

    def describe(self, stub: bool = False):
        return []

    def read(self, object_name, dataset_name, selection):
        raise AssertionError("no datasets")

    def sync_channels(self) -> list[str]:
        return ["sync", "broken"]

    def sync_times(self, channel: str, edge: str = "rising", bit: int | None = None) -> np.ndarray:
        if channel == "broken":
            raise OSError("disk went away")
        return np.cumsum(np.linspace(0.5, 1.5, N_PULSES)) + (0.25 if edge == "falling" else 0.0)


@pytest.fixture(scope="module")
def served():
    server, _, port = start_server("test", [PulseSource], "127.0.0.1:0")
    client = ServiceClient(f"127.0.0.1:{port}", "test")
    try:
        yield client, client.open_source("PulseSource", {"name": "pulses"}, stub=False)
    finally:
        client.close()
        server.stop(None)


def test_a_long_series_arrives_whole_over_several_messages(served):
    client, source = served
    expected = np.cumsum(np.linspace(0.5, 1.5, N_PULSES))
    np.testing.assert_array_equal(client.read_sync_times(source, "sync"), expected)
    np.testing.assert_array_equal(client.read_sync_times(source, "sync", "falling"), expected + 0.25)
    request = pb.ReadSyncTimesRequest(source_id=source.source_id, channel="sync")
    assert [len(m.times) // 8 for m in client.stub.ReadSyncTimes(request)] == [SYNC_CHUNK_VALUES] * 2 + [123]


def test_a_failing_reader_is_reported_with_the_source(served):
    client, source = served
    with pytest.raises(ConversionError, match="cannot read the rising edges of sync channel 'broken': OSError"):
        client.read_sync_times(source, "broken")
