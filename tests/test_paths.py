"""Lab-root confinement: every path of a submitted spec resolves inside the lab's data root or the spec is refused,
with one answer whether or not the target exists, naming neither the root nor anything outside it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server.paths import confine_spec, hide_root, resolve_in_root
from nwbstream.coordinator.spec import load_spec

OUTSIDE = "not inside the lab's data root"


@pytest.fixture
def root(tmp_path) -> Path:
    """A lab's root with a session folder, a file, a link inside and links out; a secret file beside the root."""
    root = tmp_path / "lab-a"
    (root / "session" / "raw").mkdir(parents=True)
    (root / "session" / "raw" / "a.bin").write_bytes(b"\0")
    (root / "session" / "times.npy").write_bytes(b"\0")
    (tmp_path / "secret.txt").write_text("not the lab's")
    (root / "latest").symlink_to(root / "session")  # inside: allowed
    (root / "escape").symlink_to(tmp_path)  # a folder out
    (root / "escape-file").symlink_to(tmp_path / "secret.txt")  # a file out
    (root / "dangling").symlink_to(tmp_path / "no-such-file")  # out, to nothing
    return root


def refusal(root: Path, relative: str) -> str:
    with pytest.raises(ConversionError) as caught:
        resolve_in_root(root, relative)
    return str(caught.value)


def test_paths_inside_resolve(root):
    assert resolve_in_root(root, "session/raw/a.bin") == root / "session" / "raw" / "a.bin"
    assert resolve_in_root(root, "session/not-yet.bin") == root / "session" / "not-yet.bin"  # an upload's target
    assert resolve_in_root(root, ".") == root
    assert resolve_in_root(root, str(root / "session")) == root / "session"  # absolute, inside
    assert resolve_in_root(root, "latest/raw/a.bin") == root / "session" / "raw" / "a.bin"  # a link within


@pytest.mark.parametrize(
    "relative",
    [
        "../secret.txt",
        "..",
        "session/../../secret.txt",
        "session/../session/raw/a.bin",  # stays inside, but `..` is refused outright
        "escape/secret.txt",
        "escape-file",
        "dangling",
        "escape/no-such-file",
        "session/\0.bin",
    ],
)
def test_paths_leaving_the_root_are_refused(root, relative):
    assert refusal(root, relative) == f"{relative}: {OUTSIDE}"


def test_an_existing_file_and_a_missing_one_get_the_same_answer(root, tmp_path):
    assert Path("/etc/shadow").exists()
    existing, missing = "/etc/shadow", "/etc/no-such-file-here"
    assert refusal(root, existing) == f"{existing}: {OUTSIDE}"
    assert refusal(root, missing) == f"{missing}: {OUTSIDE}"
    assert refusal(root, str(tmp_path / "secret.txt")) == f"{tmp_path / 'secret.txt'}: {OUTSIDE}"


def test_a_root_reached_through_a_link_is_the_same_root(root, tmp_path):
    (tmp_path / "labs").mkdir()
    (tmp_path / "labs" / "a").symlink_to(root)
    assert resolve_in_root(tmp_path / "labs" / "a", "session/raw/a.bin") == root / "session" / "raw" / "a.bin"
    assert refusal(tmp_path / "labs" / "a", "escape-file") == f"escape-file: {OUTSIDE}"


def write_spec(folder: Path, source_data: dict, alignment: dict | None = None) -> Path:
    session = {"nwbfile_name": "s.nwb", "source_data": source_data}
    if alignment:
        session["alignment"] = alignment
    spec = {
        "data_interfaces": {"ap": "SpikeGLXRecordingInterface", "video": "VideoInterface"},
        "experiments": {"e": {"sessions": [session]}},
    }
    path = folder / "spec.yml"
    path.write_text(yaml.safe_dump(spec))
    return path


def confined(root: Path, tmp_path: Path, source_data: dict, alignment: dict | None = None):
    spec = load_spec(write_spec(tmp_path, source_data, alignment), data_folder=root)
    confine_spec(spec, root)
    return spec.sessions[0]


def confine_error(root: Path, tmp_path: Path, source_data: dict, alignment: dict | None = None) -> str:
    with pytest.raises(ConversionError) as caught:
        confined(root, tmp_path, source_data, alignment)
    message = str(caught.value)
    assert str(root) not in message and str(tmp_path) not in message.replace(str(tmp_path / "secret.txt"), "")
    return message


def test_a_spec_inside_the_root_gets_resolved_paths(root, tmp_path):
    job = confined(
        root,
        tmp_path,
        {
            "ap": {"folder_path": "latest/raw", "stream_id": "imec0.ap"},
            "video": {"file_paths": ["session/raw/a.bin", "session/b.avi"], "timestamps_path": "session/times.npy"},
        },
        {"video": {"timestamps": {"file_path": "latest/times.npy"}}},
    )
    assert job.interfaces["ap"] == (
        "SpikeGLXRecordingInterface",
        {"folder_path": str(root / "session" / "raw"), "stream_id": "imec0.ap"},
    )
    assert job.interfaces["video"][1] == {
        "file_paths": [str(root / "session" / "raw" / "a.bin"), str(root / "session" / "b.avi")],
        "timestamps_path": str(root / "session" / "times.npy"),  # not joined by load_spec: taken from the root here
    }
    assert job.alignment == {"video": {"timestamps": {"file_path": str(root / "session" / "times.npy")}}}


def test_a_spec_escaping_anywhere_is_refused_naming_each_path_as_written(root, tmp_path):
    message = confine_error(
        root,
        tmp_path,
        {
            "ap": {"folder_path": "../lab-b/session", "stream_id": "imec0.ap"},
            "video": {"file_paths": ["session/raw/a.bin", "/etc/shadow"], "timestamps_path": "escape-file"},
        },
        {"video": {"timestamps": {"file_path": "dangling"}}},
    )
    assert message.splitlines() == [
        f"../lab-b/session: {OUTSIDE}",
        f"/etc/shadow: {OUTSIDE}",
        f"escape-file: {OUTSIDE}",
        f"dangling: {OUTSIDE}",
    ]


def test_alignment_pulse_files_are_confined(root, tmp_path):
    pulses = {"pulses": {"times": {"file_path": "session/times.npy"}, "reference_times": {"file_path": "../x.npy"}}}
    message = confine_error(
        root, tmp_path, {"ap": {"folder_path": "session"}, "video": {"file_paths": []}}, {"video": pulses}
    )
    assert message == f"../x.npy: {OUTSIDE}"


def test_a_missing_and_an_existing_file_outside_get_the_same_answer_in_a_spec(root, tmp_path):
    answers = [
        confine_error(root, tmp_path, {"ap": {"file_path": path}}).replace(path, "PATH")
        for path in ("/etc/shadow", "/etc/no-such-file-here")
    ]
    assert answers == [f"PATH: {OUTSIDE}"] * 2


def test_hide_root_leaves_the_lab_its_own_paths(root):
    message = f"{root}/session/raw/a.bin: cannot read rows 0..10; {root}: scanned; {root}-b/x stays"
    assert hide_root(message, root) == f"session/raw/a.bin: cannot read rows 0..10; .: scanned; {root}-b/x stays"
