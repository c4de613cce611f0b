"""`make soak` at a tiny size, so that the soak cannot rot: three jobs of three modalities through a real
coordinator and one real service per modality, every job done and read back, memory sampled over every process,
nothing left running."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psutil
from nwbstream.coordinator.services import installed_services

SOAK = Path(__file__).resolve().parent.parent / "bench" / "soak.py"


def test_three_jobs_through_the_conversion_service(tmp_path):
    results = tmp_path / "results"
    command = [sys.executable, str(SOAK), "--jobs", "3", "--rigs", "2", "--timeout", "300"]
    command += ["--work-dir", str(tmp_path / "work"), "--results-dir", str(results), "--no-doc"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=480)
    assert done.returncode == 0, done.stdout + done.stderr

    (path,) = results.glob("*-soak.json")
    (run,) = json.loads(path.read_text())["runs"]
    assert (run["jobs"], run["done"], run["failures"], run["timed_out"]) == (3, 3, [], False)
    assert run["services"] == sorted(installed_services())
    # every process was sampled: the coordinator and one service per modality, each a few tens of MiB at least
    labels = {"nwbstream.coordinator.cli", *(f"nwbstream.{m}" for m in run["services"])}
    assert set(run["peak_rss_by_process_mib"]) == labels
    assert all(value > 20 for value in run["peak_rss_by_process_mib"].values())
    assert run["peak_rss_mib"] >= max(run["peak_rss_by_process_mib"].values())
    assert run["jobs_per_min"] > 0 and run["source_mb"] > 0 and run["output_mb"] > 0
    assert run["max_running"] <= run["limits"]["jobs"] == 2
    assert "| 3 | 3/3 |" in done.stdout
    # the coordinator (its configuration lies in the work folder) and the services it used are stopped
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []
