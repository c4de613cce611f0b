"""Measures what the default codec and chunk shapes rest on: compression ratio and speed per layout.

    .venv/bin/python bench/chunk_defaults.py [--frames 400]

Series: a generated NP1.0 AP stream (nwbstream_samples.ecephys). Movie: a generated two-photon movie
(nwbstream_samples.ophys: shot noise on a vignetted background, cells with calcium transients). Prints one
line per layout and codec.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from isal import isal_zlib
from nwbstream.service.codecs import byte_shuffle
from nwbstream_samples.ecephys import write_spikeglx_session
from nwbstream_samples.ophys import movie

Encoder = Callable[[np.ndarray], bytes]
ENCODERS: dict[str, Encoder] = {
    "shuffle+isal1": lambda c: isal_zlib.compress(memoryview(byte_shuffle(c)).cast("B"), 1),
    "isal1": lambda c: isal_zlib.compress(np.ascontiguousarray(c).tobytes(), 1),
    "zlib4 (NeuroConv)": lambda c: zlib.compress(np.ascontiguousarray(c).tobytes(), 4),
}


def chunks(data: np.ndarray, shape: tuple[int, ...]) -> Iterator[np.ndarray]:
    for start in np.ndindex(*(int(np.ceil(n / c)) for n, c in zip(data.shape, shape, strict=True))):
        yield data[tuple(slice(i * c, (i + 1) * c) for i, c in zip(start, shape, strict=True))]


def measure(label: str, data: np.ndarray, layouts: list[tuple[int, ...]]) -> None:
    for shape in layouts:
        for name, encode in ENCODERS.items():
            started = time.perf_counter()
            stored = sum(len(encode(chunk)) for chunk in chunks(data, shape))
            seconds = time.perf_counter() - started
            print(
                f"{label} {shape}: {name}: ratio {data.nbytes / stored:.3f}, "
                f"{data.nbytes / seconds / 1e6:.0f} MB/s on one core"
            )


def series(seconds: float) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_spikeglx_session(Path(tmp), seconds=seconds, with_lf=False)
        raw = np.fromfile(next(folder.glob("*.ap.bin")), dtype="<i2").reshape(-1, 385)
        return np.array(raw[:, :384])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the generated AP stream")
    parser.add_argument("--frames", type=int, default=400, help="frames of the generated movie")
    args = parser.parse_args()
    measure("series", series(args.seconds), [(81920, 64), (81920, 384), (30000, 64)])
    measure("movie", movie(args.frames, cells=150), [(20, 512, 512), (160, 64, 512), (40, 256, 256), (400, 32, 32)])


if __name__ == "__main__":
    main()
