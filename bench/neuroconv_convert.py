"""Convert one source to NWB with NeuroConv's defaults: the baseline nwbstream is measured against.

    neuroconv_convert.py spikeglx --folder-path DIR [--stream-id imec0.ap] --output FILE [--metadata JSON]
    neuroconv_convert.py tiff --file-path FILE --sampling-frequency HZ --output FILE [--metadata JSON]
    neuroconv_convert.py video --file-path FILE --output FILE [--metadata JSON]

Runs inside the benchmark's own NeuroConv virtual environment (bench/work/neuroconv-venv), never in the
workspace one, so that the baseline is NeuroConv as a user installs it from PyPI. Only what a typical user
writes is done here: build the interface, take its metadata, update it with the benchmark's (description,
subject, a start time where the source has none) and call ``run_conversion`` with the default backend
configuration. Prints one JSON line with the versions and the in-process timings, for the benchmark to record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def make_interface(args: argparse.Namespace) -> Any:
    """The NeuroConv interface the subcommand names, on the source it was given."""
    if args.interface == "spikeglx":
        from neuroconv.datainterfaces import SpikeGLXRecordingInterface

        return SpikeGLXRecordingInterface(folder_path=str(args.folder_path), stream_id=args.stream_id)
    if args.interface == "video":
        from neuroconv.datainterfaces import InternalVideoInterface

        return InternalVideoInterface(file_path=str(args.file_path))
    from neuroconv.datainterfaces import TiffImagingInterface

    return TiffImagingInterface(file_paths=[str(args.file_path)], sampling_frequency=args.sampling_frequency)


def deep_update(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = value
    return base


def installed(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def convert(args: argparse.Namespace) -> dict[str, Any]:
    """Convert the source to ``args.output``; return timings and versions."""
    start = time.perf_counter()
    import neuroconv.datainterfaces  # noqa: F401  (the import is timed on its own)

    imported = time.perf_counter()
    interface = make_interface(args)
    metadata = deep_update(interface.get_metadata(), args.metadata)
    start_time = metadata["NWBFile"].get("session_start_time")
    if isinstance(start_time, str):  # as NeuroConv's YAML loader would give it
        metadata["NWBFile"]["session_start_time"] = dt.datetime.fromisoformat(start_time)
    opened = time.perf_counter()
    interface.run_conversion(nwbfile_path=str(args.output), metadata=metadata, overwrite=True, backend=args.backend)
    done = time.perf_counter()
    readers = {"spikeglx": ("spikeinterface", "neo"), "video": ("opencv-python-headless",)}.get(
        args.interface, ("roiextractors", "tifffile")
    )
    return {
        "neuroconv_version": installed("neuroconv"),
        **{f"{reader}_version": installed(reader) for reader in readers},
        "import_s": imported - start,
        "open_s": opened - imported,
        "write_s": done - opened,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--output", type=Path, required=True, help="NWB file to write")
    common.add_argument("--backend", default="hdf5", choices=["hdf5", "zarr"])
    common.add_argument("--metadata", type=json.loads, default={}, help="metadata (JSON) over the interface's")
    interfaces = parser.add_subparsers(dest="interface", required=True)
    spikeglx = interfaces.add_parser("spikeglx", parents=[common], help="SpikeGLXRecordingInterface")
    spikeglx.add_argument("--folder-path", type=Path, required=True, help="SpikeGLX probe folder")
    spikeglx.add_argument("--stream-id", default="imec0.ap")
    tiff = interfaces.add_parser("tiff", parents=[common], help="TiffImagingInterface")
    tiff.add_argument("--file-path", type=Path, required=True, help="multi-page TIFF")
    tiff.add_argument("--sampling-frequency", type=float, required=True, help="frames per second")
    video = interfaces.add_parser("video", parents=[common], help="InternalVideoInterface")
    video.add_argument("--file-path", type=Path, required=True, help="video file")
    return parser.parse_args()


def main() -> None:
    print(json.dumps(convert(parse_args())), flush=True)


if __name__ == "__main__":
    main()
