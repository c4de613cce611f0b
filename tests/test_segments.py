"""A multi-segment recording or sorting is refused with the source named, never cut to its first segment."""

from __future__ import annotations

import numpy as np
import pytest
import spikeinterface.core as si
from nwbstream.ecephys.phy import PhySortingInterface
from nwbstream.ecephys.spikeglx import SpikeGLXRecordingInterface
from nwbstream.service import SourceError

TWO_SEGMENTS = {"folder_path": "/data/session_with_two_segments"}


def without_reader(cls, **attributes):
    """An interface whose reader is replaced by an in-memory spikeinterface object of two segments."""
    interface = cls.__new__(cls)
    interface.source_data = TWO_SEGMENTS
    interface.__dict__.update(attributes)
    return interface


def test_two_segment_recording_is_refused():
    traces = [np.zeros((100, 4), dtype="int16"), np.zeros((50, 4), dtype="int16")]
    recording = si.NumpyRecording(traces, sampling_frequency=30_000.0)
    interface = without_reader(SpikeGLXRecordingInterface, recording=recording, es_key="ElectricalSeriesAP")
    with pytest.raises(SourceError, match="2 segments") as error:
        interface.describe()
    assert TWO_SEGMENTS["folder_path"] in str(error.value)


def test_two_segment_sorting_is_refused():
    sorting = si.NumpySorting.from_samples_and_labels(
        [np.array([10, 20]), np.array([5])], [np.array([0, 1]), np.array([0])], sampling_frequency=30_000.0
    )
    interface = without_reader(PhySortingInterface, sorting=sorting)
    with pytest.raises(SourceError, match="2 segments") as error:
        interface.describe()
    assert TWO_SEGMENTS["folder_path"] in str(error.value)
