"""NeuroConv's own virtual environment, the baseline for the benchmark and for the NeuroConv comparison.

NeuroConv never shares the workspace environment: its pins (spikeinterface, roiextractors, pynwb) would fight
nwbstream's, and the baseline must be NeuroConv as a user installs it from PyPI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# The release nwbstream is held against, with the extras of every interface the bench and the checks convert.
NEUROCONV_REQUIREMENT = (
    "neuroconv[ecephys,ophys,fiber_photometry,behavior,icephys,image,text,events,medpc_legacy,dandi]==0.10.2"
)
VENV_NAME = "neuroconv-venv"
_INSTALLED_MARKER = ".bench-installed"


def find_uv() -> str:
    """The uv executable (PATH first, then the user install the Makefile falls back to)."""
    found = shutil.which("uv")
    if found:
        return found
    fallback = Path.home() / ".local" / "bin" / "uv"
    if fallback.exists():
        return str(fallback)
    raise SystemExit("uv not found: install it (python3 -m pip install --user uv)")


def ensure_neuroconv_venv(work: Path, requirement: str = NEUROCONV_REQUIREMENT) -> Path:
    """Create ``work/neuroconv-venv`` with ``requirement`` unless it already holds exactly that; return its python."""
    venv = work / VENV_NAME
    python = venv / "bin" / "python"
    marker = venv / _INSTALLED_MARKER
    if python.exists() and marker.exists() and marker.read_text().strip() == requirement:
        return python
    uv = find_uv()
    print(f"creating the NeuroConv venv in {venv} ({requirement}) ...", flush=True)
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([uv, "venv", "-q", "-p", "3.11", str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(python), requirement], check=True)
    marker.write_text(requirement + "\n")
    return python


def neuroconv_environ() -> dict[str, str]:
    """The environment to run NeuroConv's python in: the workspace venv must not leak into it."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    return env
