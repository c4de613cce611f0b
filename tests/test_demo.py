"""`make demo` from any folder: the demo writes its spec with paths relative to the spec's folder, converts with two
services, and the file it summarises validates."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_from_a_relative_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nwbstream_samples.demo", "--folder", "demo-output", "--seconds", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "pynwb.validate: no problems" in result.stdout
    assert "MicroscopySeries (TwoPhotonSeries): 30 x 256 x 256 at 30 Hz" in result.stdout
    assert (tmp_path / "demo-output" / "output" / "demo.nwb").is_file()
