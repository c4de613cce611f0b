"""The coordinator's memory is bounded by its chunk window, not by the size of the input."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psutil
import yaml
from nwbstream_samples.ecephys import write_spikeglx_session

from .conftest import SUBJECT

CHUNK = [8192, 384]  # 6 MiB per chunk
WINDOW = 2


def peak_rss_of_conversion(tmp_path, probe_folder, address: str) -> int:
    """Peak RSS (bytes) of a `nwbstream convert` process that talks to an already running service."""
    spec = {
        "metadata": {"NWBFile": {"session_description": "memory bound"}, "Subject": SUBJECT},
        "backend_configuration": {"default": {"chunk_shape": CHUNK}},
        "data_interfaces": {"ap": "SpikeGLXRecordingInterface"},
        "experiments": {
            "e": {
                "sessions": [
                    {
                        "nwbfile_name": "m.nwb",
                        "source_data": {"ap": {"folder_path": str(probe_folder), "stream_id": "imec0.ap"}},
                    }
                ]
            }
        },
    }
    spec_path = tmp_path / "spec.yml"
    spec_path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    out.mkdir()
    command = [
        sys.executable,
        "-m",
        "nwbstream.coordinator.cli",
        "convert",
        str(spec_path),
        "--output-folder",
        str(out),
    ]
    command += ["--service", f"ecephys={address}", "--window", str(WINDOW), "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    watched = psutil.Process(process.pid)

    def watch() -> None:
        nonlocal peak
        while process.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    _, stderr = process.communicate(timeout=600)
    watcher.join()
    assert process.returncode == 0, stderr.decode()
    assert (out / "m.nwb").stat().st_size > 0
    return peak


def test_peak_memory_does_not_grow_with_the_input(tmp_path, ecephys_address):
    small = write_spikeglx_session(tmp_path / "small", size_bytes=50_000_000, with_lf=False, seed=1)
    large = write_spikeglx_session(tmp_path / "large", size_bytes=400_000_000, with_lf=False, seed=2)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    small_peak = peak_rss_of_conversion(tmp_path / "a", small, ecephys_address)
    large_peak = peak_rss_of_conversion(tmp_path / "b", large, ecephys_address)
    # 8x the input (350 MB more) may cost at most a few chunks more: the window is 2 chunks of 6 MiB.
    print(f"peak RSS: {small_peak / 2**20:.0f} MiB for 50 MB, {large_peak / 2**20:.0f} MiB for 400 MB")
    assert large_peak - small_peak < 64 * 2**20, (small_peak, large_peak)
    assert large_peak < 2**30
