"""A session's `alignment` block: read from the spec (file paths joined with the data folder) and checked, each
mistake an error naming the key and where it is, before any service starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from nwbstream.coordinator.alignment.declaration import (
    ChannelPulses,
    FileTimes,
    PulsesFit,
    ShiftBy,
    TimestampsFrom,
    parse_alignment,
)
from nwbstream.coordinator.converter import Converter
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.spec import load_spec

from .test_cli import write_spec

INTERFACES = ["ap", "nidq", "pose", "video"]
ISSUE_EXAMPLE = {  # the block of issue 9, as users write it
    "reference": "ap",
    "pose": {"shift": 1.25},
    "video": {"timestamps": {"file_path": "video/frame_times.npy"}},
    "nidq": {
        "pulses": {"times": {"channel": "XD0", "edge": "rising"}, "reference_times": {"channel": "SY0", "bit": 6}},
        "fit": "linear",
    },
}


def test_the_issue_example_is_read_as_declared():
    alignment = parse_alignment(ISSUE_EXAMPLE, INTERFACES)
    assert alignment.reference == "ap"
    assert alignment.methods == {
        "pose": ShiftBy(1.25),
        "video": TimestampsFrom(FileTimes("video/frame_times.npy")),
        "nidq": PulsesFit(
            times=ChannelPulses("XD0", "rising"), reference_times=ChannelPulses("SY0", "rising", 6), fit="linear"
        ),
    }


def test_the_reference_defaults_to_the_first_interface_and_fit_to_linear():
    alignment = parse_alignment(
        {"nidq": {"pulses": {"times": {"file_path": "a.txt"}, "reference_times": {"channel": "SY0"}}}}, INTERFACES
    )
    assert alignment.reference == "ap"
    assert alignment.methods["nidq"] == PulsesFit(FileTimes("a.txt"), ChannelPulses("SY0"), "linear")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"reference": "lfp"}, "alignment/reference: 'lfp' is not an interface of the session"),
        ({"camera": {"shift": 1}}, "alignment: 'camera' is not an interface of the session"),
        ({"ap": {"shift": 1}}, "alignment/ap: 'ap' is the reference"),
        ({"pose": {"offset": 1}}, r"alignment/pose: \['offset'\] unknown; give one of \['shift', 'timestamps'"),
        ({"pose": {}}, "alignment/pose: give exactly one of .* not none"),
        ({"pose": {"shift": 1, "timestamps": {"file_path": "t.npy"}}}, r"not \['shift', 'timestamps'\]"),
        ({"pose": {"shift": 1, "fit": "linear"}}, "alignment/pose: 'fit' goes with 'pulses' only"),
        ({"pose": {"shift": "1.2s"}}, "alignment/pose/shift: '1.2s' is not a number of seconds"),
        ({"pose": 1.25}, "alignment/pose: expected a mapping"),
        ({"video": {"timestamps": {"channel": "XD0"}}}, "alignment/video/timestamps: give {file_path: ...}"),
        ({"video": {"timestamps": {"file_path": "t.npy", "unit": "s"}}}, "a file of times is {file_path: <path>}"),
        (
            {"nidq": {"pulses": {"times": {"channel": "XD0"}}}},
            r"alignment/nidq/pulses: \['reference_times'\] missing",
        ),
        (
            {"nidq": {"pulses": {"times": {"channel": "XD0"}, "reference_times": {"channel": "SY0"}, "jitter": 1}}},
            r"alignment/nidq/pulses: \['jitter'\] unknown",
        ),
        (
            {"nidq": {"pulses": {"times": {"channel": "XD0"}, "reference_times": {"channel": "SY0"}}, "fit": "cubic"}},
            "alignment/nidq/fit: 'cubic' unknown; choose one of",
        ),
        (
            {"nidq": {"pulses": {"times": {"channel": "XD0", "edge": "up"}, "reference_times": {"channel": "SY0"}}}},
            "alignment/nidq/pulses/times/edge: 'up' unknown",
        ),
        (
            {"nidq": {"pulses": {"times": {"channel": "XD0"}, "reference_times": {"channel": "SY0", "bit": -1}}}},
            "alignment/nidq/pulses/reference_times/bit: -1 is not a bit number",
        ),
        (
            {"nidq": {"pulses": {"times": {"line": "XD0"}, "reference_times": {"channel": "SY0"}}}},
            r"alignment/nidq/pulses/times: \['line'\] unknown",
        ),
        (
            {"nidq": {"pulses": {"times": {"channel": "XD0"}, "reference_times": {}, "tolerance": 0}}},
            "alignment/nidq/pulses/tolerance: 0 is not a positive number",
        ),
    ],
)
def test_mistakes_are_errors_naming_the_key(block, message):
    with pytest.raises(ConversionError, match=message):
        parse_alignment(block, INTERFACES)


def test_the_spec_keeps_the_block_with_its_paths_joined(tmp_path):
    data = tmp_path / "data"
    spec = load_spec(_spec(tmp_path, ISSUE_EXAMPLE), data_folder=data)
    (job,) = spec.sessions
    assert job.alignment["video"] == {"timestamps": {"file_path": str(data / "video" / "frame_times.npy")}}
    assert job.alignment["pose"] == {"shift": 1.25}
    assert job.alignment["nidq"] == ISSUE_EXAMPLE["nidq"]


def test_a_spec_with_a_bad_block_names_the_session(tmp_path):
    with pytest.raises(ConversionError, match=r"spec.yml: experiments/exp/sessions/0/alignment: 'camera' is not"):
        load_spec(_spec(tmp_path, {"camera": {"shift": 1}}))


def test_the_converter_refuses_a_bad_block_before_starting_a_service():
    with pytest.raises(ConversionError, match="alignment/pose: give exactly one of"):
        Converter(
            {"ap": ("SpikeGLXRecordingInterface", {}), "pose": ("DeepLabCutInterface", {})},
            services={"ecephys": "unix:/nonexistent", "behavior": "unix:/nonexistent"},
            alignment={"pose": {}},
        )


def _spec(tmp_path: Path, alignment: dict) -> Path:
    source_data = {key: {"file_path": f"{key}.bin"} for key in INTERFACES}
    return write_spec(
        tmp_path / "spec.yml",
        {"s1": {"source_data": source_data, "alignment": alignment}},
        {key: "SpikeGLXRecordingInterface" for key in INTERFACES},
    )
