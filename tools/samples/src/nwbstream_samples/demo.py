"""`make demo`: generate a sample session, convert it in embedded mode, validate it, summarise the file.

Needs nothing outside this repository: the SpikeGLX recording (AP + LF), its Phy sorting and a two-photon movie
(a multi-page TIFF) are generated; two services (ecephys, ophys) write one file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import h5py
import yaml
from nwbstream.coordinator.cli import main as cli_main
from pynwb import NWBHDF5IO, validate

from .ecephys import write_demo_session
from .ophys import SAMPLING_FREQUENCY, write_tiff_stack

SPEC = {
    "metadata": {
        "NWBFile": {
            "session_description": "nwbstream demo: generated Neuropixels 1.0 data, its sorting, a two-photon movie.",
            "experimenter": ["Demo, Ada"],
            "institution": "nwbstream",
            "lab": "demo",
        },
        "Subject": {"subject_id": "demo-mouse", "species": "Mus musculus", "sex": "F", "age": "P90D"},
    },
    "data_interfaces": {
        "ap": "SpikeGLXRecordingInterface",
        "lf": "SpikeGLXRecordingInterface",
        "sorting": "PhySortingInterface",
        "imaging": "TiffImagingInterface",
    },
    "experiments": {"demo": {"sessions": [{"nwbfile_name": "demo.nwb", "source_data": {}}]}},
}


def run(folder: Path, seconds: float) -> Path:
    session = write_demo_session(folder / "session", seconds=seconds)
    movie = write_tiff_stack(folder / "session" / "movie.tif", n_frames=int(seconds * SAMPLING_FREQUENCY), size=256)
    spec = dict(SPEC)
    spec["experiments"]["demo"]["sessions"][0]["source_data"] = {
        # relative to the spec's folder, as NeuroConv users write them (the data folder defaults to it)
        "ap": {"folder_path": str(session["spikeglx_folder"].relative_to(folder)), "stream_id": "imec0.ap"},
        "lf": {"folder_path": str(session["spikeglx_folder"].relative_to(folder)), "stream_id": "imec0.lf"},
        "sorting": {"folder_path": str(session["phy_folder"].relative_to(folder))},
        "imaging": {"file_path": str(movie.relative_to(folder)), "sampling_frequency": SAMPLING_FREQUENCY},
    }
    spec_path = folder / "demo.yml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    output = folder / "output"
    output.mkdir(exist_ok=True)
    started = time.perf_counter()
    code = cli_main(["convert", str(spec_path), "--output-folder", str(output), "--overwrite"])
    if code:
        sys.exit(code)
    print(f"converted in {time.perf_counter() - started:.1f} s (services started and stopped included)")
    return output / "demo.nwb"


def summarise(path: Path) -> None:
    problems = validate(path=str(path))
    print(f"pynwb.validate: {problems if problems else 'no problems'}")
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        print(f"{path}: session start {nwbfile.session_start_time}, subject {nwbfile.subject.subject_id}")
        for s in nwbfile.acquisition.values():
            kind, shape = type(s).__name__, " x ".join(str(n) for n in s.data.shape)
            print(f"  {s.name} ({kind}): {shape} at {s.rate:g} Hz")
        print(f"  electrodes: {len(nwbfile.electrodes)} rows with positions (rel_x, rel_y)")
        print(f"  units: {len(nwbfile.units)} units, {len(nwbfile.units['spike_times'].target.data)} spikes")
    with h5py.File(path, "r") as file:
        data = file["acquisition/ElectricalSeriesAP/data"]
        ratio = data.size * data.dtype.itemsize / data.id.get_storage_size()
        print(f"  ElectricalSeriesAP stored as {data.compression} chunks {data.chunks}, compression ratio {ratio:.2f}")
    if problems:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", type=Path, default=Path("demo-output"))
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    folder = args.folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    summarise(run(folder, args.seconds))


if __name__ == "__main__":
    main()
