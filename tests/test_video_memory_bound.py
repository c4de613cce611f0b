"""An embedded video streams with bounded memory: the peak RSS of the whole conversion (the CLI and the behavior
service it starts) does not grow with the number of frames, as tests/test_memory_bound.py checks for a recording."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import yaml
from nwbstream_samples.video import write_video

from .conftest import SUBJECT

WIDTH, HEIGHT = 320, 240  # 230 kB per decoded frame: ~45 frames per 10 MiB chunk
WINDOW = 2


def peak_tree_rss(tmp_path: Path, video: Path) -> int:
    """Peak of the summed RSS (bytes) of `nwbstream convert` and its children (the embedded behavior service)."""
    spec = {
        "metadata": {
            "NWBFile": {"session_description": "memory bound", "session_start_time": "2024-01-15T10:30:00"},
            "Subject": SUBJECT,
        },
        "data_interfaces": {"video": "InternalVideoInterface"},
        "experiments": {
            "e": {"sessions": [{"nwbfile_name": "m", "source_data": {"video": {"file_path": str(video)}}}]}
        },
    }
    spec_path = tmp_path / "spec.yml"
    spec_path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "nwbstream.coordinator.cli", "convert", str(spec_path)]
    command += ["--output-folder", str(out), "--window", str(WINDOW), "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(process.pid)
    peak = 0

    def watch() -> None:
        nonlocal peak
        while process.poll() is None:
            total = 0
            try:
                members = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for member in members:
                try:
                    total += member.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            peak = max(peak, total)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    _, stderr = process.communicate(timeout=900)
    watcher.join()
    assert process.returncode == 0, stderr.decode()
    assert (out / "m.nwb").stat().st_size > 0
    return peak


def test_peak_memory_does_not_grow_with_the_video(tmp_path):
    small = write_video(tmp_path / "small.mp4", n_frames=300, width=WIDTH, height=HEIGHT)  # 69 MB of frames: ~7 chunks
    large = write_video(tmp_path / "large.mp4", n_frames=1200, width=WIDTH, height=HEIGHT, seed=1)  # 276 MB
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    small_peak = peak_tree_rss(tmp_path / "a", small)
    large_peak = peak_tree_rss(tmp_path / "b", large)
    print(
        f"peak RSS of all processes: {small_peak / 2**20:.0f} MiB for 300 frames, {large_peak / 2**20:.0f} MiB for 1200"
    )
    # 207 MB more frames may cost at most what the pipeline holds once full, which the shorter video barely fills:
    # the service's 8 encoded chunks in flight and its slab, the coordinator's window of 2 (chunks of ~10 MiB).
    assert large_peak - small_peak < 128 * 2**20, (small_peak, large_peak)
    assert large_peak < 2**30
