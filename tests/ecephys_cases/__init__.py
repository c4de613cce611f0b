"""Every ecephys interface's test cases, one module per format, run by tests/test_ecephys_suite.py.

A module here defines `CASES: dict[str, Case]` (case id -> Case with `kind` set); ids are unique across modules.
Generated fixtures are written by the case's `make` into `generated_folder(name)`, once per test run.
"""

from __future__ import annotations

import atexit
import importlib
import pkgutil
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..cases import Case


def all_cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for case_id, case in getattr(module, "CASES", {}).items():
            if case_id in cases:
                raise ValueError(f"ecephys case id {case_id!r} is defined twice (second in {module_info.name})")
            cases[case_id] = case
    return cases


# One folder per run (paths in CASES are known at import, the files are written when a case first needs them).
GENERATED = Path(tempfile.mkdtemp(prefix="nwbstream-generated-"))
atexit.register(shutil.rmtree, GENERATED, ignore_errors=True)


def generated_folder(name: str, write: Callable[[Path], None]) -> Path:
    """`GENERATED/name`, written by `write(folder)` the first time (into a scratch folder renamed in place, so a
    run that dies midway leaves no half-written fixture)."""
    folder = GENERATED / name
    if folder.is_dir():
        return folder
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=GENERATED))
    try:
        write(scratch)
        scratch.rename(folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def cut_copy(original: Path, folder: Path, keep: int | None = None) -> Path:
    """A copy of `original` in `folder` holding only its first `keep` bytes (default: half)."""
    data = original.read_bytes()
    copy = folder / original.name
    copy.write_bytes(data[: len(data) // 2 if keep is None else keep])
    return copy


def junk_copy(name: str, folder: Path) -> Path:
    """A file named as the format names its files, holding text of no format at all."""
    copy = folder / name
    copy.write_bytes(b"this is not a recording, only text under the format's file name\n" * 64)
    return copy


def truncated_file(source: dict):
    """A `truncate` for a one-file source: its file cut mid-block (half its bytes and 7 more)."""

    def cut(tmp_path: Path) -> tuple[dict, Path]:
        original = Path(source["file_path"])
        bad = cut_copy(original, tmp_path, keep=original.stat().st_size // 2 + 7)
        return {**source, "file_path": str(bad)}, bad

    return cut


def wrong_file(source: dict, format_name: str):
    """A `wrong_format` for a one-file source: text under the file's suffix, named and saying it is no `format_name`."""

    def write(tmp_path: Path) -> tuple[dict, Path]:
        bad = tmp_path / f"not{format_name.lower()}{Path(source['file_path']).suffix}"
        bad.write_bytes(f"not an {format_name} file\n".encode() * 64)
        return {**source, "file_path": str(bad)}, bad

    return write


def neo_sorting(reader, rate: float, unit_ids: list, t_start: float | None = None, t_stop: float | None = None):
    """The spike trains of neo `reader` (header parsed), one unit per spike channel labelled by `unit_ids`, its
    times (seconds from the start) counted in samples at `rate`: the value a sorting interface must write."""
    import numpy as np
    from spikeinterface.core import NumpySorting

    times, labels = [], []
    for index, unit_id in enumerate(unit_ids):
        stamps = reader.get_spike_timestamps(0, 0, index, t_start=t_start, t_stop=t_stop)
        times.append(reader.rescale_spike_timestamp(stamps, dtype="float64"))
        labels.append(np.full(stamps.size, unit_id))
    order = np.argsort(np.concatenate(times), kind="stable")
    return NumpySorting.from_times_and_labels(
        np.concatenate(times)[order], np.concatenate(labels)[order], rate, unit_ids=list(unit_ids)
    )


def writable_copy(original: Path, folder: Path) -> Path:
    """A copy of a folder of the read-only test data, writable so that a test may damage one of its files."""
    copy = Path(shutil.copytree(original, folder / original.name))
    for path in [copy, *copy.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy
