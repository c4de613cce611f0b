"""CED Spike2 demo data (real .smr, version 3), read with neo where NeuroConv needs CED's sonpy."""

from __future__ import annotations

import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import ECEPHYS
from . import cut_copy, junk_copy

SPIKE2 = ECEPHYS / "spike2" / "DemoData.smr"


def check_mv_channels(nwbfile, recording) -> None:
    """Only the channel Spike2 scales to mV (ECG) is kept, not EEG (Volt) nor AP WAVE (mmHg)."""
    assert list(nwbfile.electrodes["channel_name"][:]) == ["ECG"]
    assert recording.get_sampling_frequency() == 200.0


CASES = {
    "spike2_smr": Case(
        "Spike2RecordingInterface",
        {"file_path": str(SPIKE2)},
        lambda: se.read_spike2(SPIKE2, stream_id="1"),  # the ECG channel, the file's one channel in mV
        "real: CED Spike2 demo data, .smr version 3 (SOURCES.md)",
        {"groups": {"ElectrodeGroup"}, "device": "DeviceEcephys"},
        kind="recording",
        truncate=lambda tmp: ({"file_path": str(p := cut_copy(SPIKE2, tmp))}, p),
        wrong_format=lambda tmp: ({"file_path": str(p := junk_copy(SPIKE2.name, tmp))}, p),
        check=check_mv_channels,
    ),
}
