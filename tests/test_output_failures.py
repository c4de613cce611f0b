"""An output that cannot be written: a read-only mount is refused before any source is read; a full disk (a small
tmpfs the test mounts) stops the conversion with the system's reason and leaves nothing behind."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from .conftest import SUBJECT
from .test_cli import run, write_spec


@contextlib.contextmanager
def tmpfs(folder: Path, options: str):
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def spikeglx_spec(tmp_path: Path, folder: Path, backend: str) -> Path:
    return write_spec(
        tmp_path / f"{backend}.yml",
        {"session": {"source_data": {"AP": {"folder_path": str(folder), "stream_id": "imec0.ap"}}}},
        {"AP": "SpikeGLXRecordingInterface"},
        metadata={"NWBFile": {"session_description": "d"}, "Subject": SUBJECT},
        backend=backend,
    )


@pytest.mark.parametrize("backend", ["hdf5", "zarr"])
def test_a_read_only_output_folder_is_refused_before_reading(tmp_path, backend, spikeglx_folder):
    spec = spikeglx_spec(tmp_path, spikeglx_folder, backend)
    with tmpfs(tmp_path / "readonly", "ro,size=1m") as mount:
        result = run("convert", str(spec), "--output-folder", str(mount / "out"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"nwbstream: error: {mount / 'out'}: cannot write there: Read-only file system"


@pytest.mark.parametrize("backend", ["hdf5", "zarr"])
def test_a_full_disk_stops_the_conversion_and_leaves_nothing(tmp_path, backend, spikeglx_folder, ecephys_address):
    spec = spikeglx_spec(tmp_path, spikeglx_folder, backend)
    with tmpfs(tmp_path / "small", "size=2m") as mount:
        result = run("convert", str(spec), "--output-folder", str(mount), "--service", f"ecephys={ecephys_address}")
        left = list(mount.iterdir())
    assert result.returncode == 1
    assert "cannot write the file: No space left on device; nothing was left there" in result.stderr
    assert str(mount / "session.nwb") in result.stderr
    assert left == []
