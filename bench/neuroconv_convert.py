"""Convert one SpikeGLX stream to NWB with NeuroConv's defaults: the baseline nwbstream is measured against.

Runs inside the benchmark's own NeuroConv virtual environment (bench/work/neuroconv-venv), never in the
workspace one, so that the baseline is a plain ``pip install neuroconv[spikeglx]`` as a user would have it.
Only what a typical user writes is done here: build the interface, take its metadata (session start time
included), set a description and call ``run_conversion`` with the default backend configuration.
Prints one JSON line with the versions and the in-process timings, for the benchmark to record.
"""

from __future__ import annotations

import argparse
import json
import time
from importlib.metadata import version
from pathlib import Path


def convert(
    folder_path: Path, stream_id: str, nwbfile_path: Path, backend: str, subject: dict[str, str] | None
) -> dict[str, float | str]:
    """Convert ``stream_id`` of the SpikeGLX probe folder to ``nwbfile_path``; return timings and versions."""
    start = time.perf_counter()
    from neuroconv.datainterfaces import SpikeGLXRecordingInterface

    imported = time.perf_counter()
    interface = SpikeGLXRecordingInterface(folder_path=str(folder_path), stream_id=stream_id)
    metadata = interface.get_metadata()
    metadata["NWBFile"]["session_description"] = "benchmark"
    if subject:
        metadata["Subject"] = {**metadata.get("Subject", {}), **subject}
    opened = time.perf_counter()
    interface.run_conversion(nwbfile_path=str(nwbfile_path), metadata=metadata, overwrite=True, backend=backend)
    done = time.perf_counter()
    return {
        "neuroconv_version": version("neuroconv"),
        "spikeinterface_version": version("spikeinterface"),
        "neo_version": version("neo"),
        "import_s": imported - start,
        "open_s": opened - imported,
        "write_s": done - opened,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder-path", type=Path, required=True, help="SpikeGLX probe folder")
    parser.add_argument("--stream-id", default="imec0.ap")
    parser.add_argument("--output", type=Path, required=True, help="NWB file to write")
    parser.add_argument("--backend", default="hdf5", choices=["hdf5", "zarr"])
    parser.add_argument("--subject", type=json.loads, default=None, help="Subject metadata as JSON")
    args = parser.parse_args()
    result = convert(args.folder_path, args.stream_id, args.output, args.backend, args.subject)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
