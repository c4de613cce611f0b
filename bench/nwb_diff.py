"""Compare two NWB files (HDF5) by in-file path: every dataset, attribute and link, values included.

    .venv/bin/python bench/nwb_diff.py FIRST.nwb SECOND.nwb [--names neuroconv nwbstream] [--differences-only]

Why: "converts like NeuroConv" is a claim about what lands in the file, so two files are compared entry by
entry, not by how pynwb reads them. Values are compared exactly (NaN equal to NaN) unless a tolerance is
given; large datasets are read in blocks, so files of any size compare in bounded memory. Fields that say
which file this is or which run made it (identifier, file_create_date, source_script, object ids, the cached
schema) are not compared. Entries are datasets (``path``), attributes (``path@name``) and links
(``path -> target``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np

SAME = "same"
DIFFERENT = "different"
Status = Literal["same", "different", "only in first", "only in second"]

# Identity and provenance: they differ between any two runs, whatever the data.
IGNORED = (
    re.compile(r"^identifier$"),
    re.compile(r"^file_create_date$"),
    re.compile(r"^general/source_script(_file_name)?(@|$)"),
    re.compile(r"^specifications(/|$)"),  # the schema each writer cached: its pynwb's, not the data
    re.compile(r"@object_id$"),
    re.compile(r"@\.specloc$"),
)
SESSION_DESCRIPTION = re.compile(r"^session_description$")
BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Row:
    """One entry of the comparison."""

    path: str
    status: Status
    first: str  # "shape dtype" in the first file, "" when absent
    second: str
    detail: str = ""


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 0.0
    atol: float = 0.0


# ------------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class _Entry:
    kind: Literal["dataset", "attribute", "link"]
    obj: Any  # h5py.Dataset, (h5py object, attribute name), or link target path
    link: str = ""  # a dataset (or its attribute) reached through a soft link: the link's target


def _entries(file: h5py.File) -> dict[str, _Entry]:
    """Every dataset, attribute and soft/external link of the file, by path."""
    entries: dict[str, _Entry] = {}

    def add_attributes(path: str, obj: h5py.Group | h5py.Dataset, link: str = "") -> None:
        for name in obj.attrs:
            entries[f"{path}@{name}"] = _Entry("attribute", (obj, name), link)

    def visit(name: str, link: h5py.HardLink | h5py.SoftLink | h5py.ExternalLink) -> None:
        target = file.get(name) if isinstance(link, h5py.SoftLink) else None
        if isinstance(target, h5py.Dataset):  # one writer may link a dataset that another writes twice
            entries[name] = _Entry("dataset", target, link.path)
            add_attributes(name, target, link.path)
        elif isinstance(link, h5py.SoftLink):
            entries[name] = _Entry("link", link.path)
        elif isinstance(link, h5py.ExternalLink):
            entries[name] = _Entry("link", f"{link.filename}:{link.path}")
        else:
            obj = file[name]
            if isinstance(obj, h5py.Dataset):
                entries[name] = _Entry("dataset", obj)
            add_attributes(name, obj)

    add_attributes("", file)
    file.visititems_links(visit)
    return entries


def _dtype_label(dtype: np.dtype) -> str:
    """The dtype as the data means it: strings are "str" however stored, references "ref", byte order dropped."""
    if h5py.check_string_dtype(dtype) is not None or dtype.kind in "SU":
        return "str"
    if h5py.check_ref_dtype(dtype) is not None:
        return "ref"
    if dtype.names:
        return "{" + ", ".join(f"{n}: {_dtype_label(dtype.fields[n][0])}" for n in dtype.names) + "}"
    if dtype.kind == "O":
        return "object"
    return dtype.newbyteorder("=").name


def _describe(entry: _Entry) -> tuple[tuple[int, ...] | None, str]:
    if entry.kind == "link":
        return None, "link"
    if entry.kind == "dataset":
        return entry.obj.shape, _dtype_label(entry.obj.dtype)
    value = _attribute(entry)
    return (np.shape(value), _dtype_label(np.asarray(value).dtype) if not isinstance(value, str) else "str")


def _attribute(entry: _Entry) -> Any:
    obj, name = entry.obj
    value = obj.attrs[name]
    return _normalise(value, obj.file)


def _normalise(value: Any, file: h5py.File) -> Any:
    """Strings as str, references as the path they point to; numbers unchanged."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, h5py.Reference):
        return file[value].name if value else None
    if isinstance(value, np.ndarray) and value.dtype.names:
        return [tuple(_normalise(v, file) for v in row) for row in value.tolist()]
    if isinstance(value, np.ndarray) and (value.dtype.kind in "OS"):
        return np.array([_normalise(v, file) for v in value.ravel()], dtype=object).reshape(value.shape)
    return value


def _blocks(dataset: h5py.Dataset) -> Iterator[Any]:
    """The dataset's values, normalised, in blocks along its first axis (one block for small ones)."""
    if dataset.shape is None:  # empty dataspace
        yield None
        return
    if dataset.ndim == 0:
        yield _normalise(dataset[()], dataset.file)
        return
    row_bytes = max(1, dataset.dtype.itemsize * int(np.prod(dataset.shape[1:], dtype=np.int64)))
    step = max(1, BLOCK_BYTES // row_bytes)
    for start in range(0, max(dataset.shape[0], 1), step):
        yield _normalise(dataset[start : start + step], dataset.file)


# ------------------------------------------------------------------------------------------------ comparing


def _equal(a: Any, b: Any, tolerance: Tolerance) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype.kind in "biufc" and b.dtype.kind in "biufc":
        if a.shape != b.shape:
            return False
        if tolerance.rtol or tolerance.atol:
            return bool(np.allclose(a, b, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True))
        nan_ok = a.dtype.kind in "fc" or b.dtype.kind in "fc"
        return bool(np.array_equal(a, b, equal_nan=nan_ok))
    if isinstance(a, float | np.floating) and isinstance(b, float | np.floating):
        return bool(a == b or (np.isnan(a) and np.isnan(b)) or np.isclose(a, b, tolerance.rtol, tolerance.atol))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a_array, b_array = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        return a_array.shape == b_array.shape and all(
            _equal(x, y, tolerance) for x, y in zip(a_array.ravel(), b_array.ravel(), strict=True)
        )
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _unequal(a: Any, b: Any, tolerance: Tolerance) -> np.ndarray | None:
    """Mask of the unequal elements of two blocks of one shape; None when they are not arrays of one shape."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
        return None
    if a.dtype.kind in "biufc" and b.dtype.kind in "biufc":
        if tolerance.rtol or tolerance.atol:
            return ~np.isclose(a, b, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True)
        both_nan = np.isnan(a) & np.isnan(b) if a.dtype.kind in "fc" and b.dtype.kind in "fc" else False
        return ~((a == b) | both_nan)
    pairs = zip(a.ravel(), b.ravel(), strict=True)
    return np.array([not _equal(x, y, tolerance) for x, y in pairs], dtype=bool).reshape(a.shape)


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value.tolist() if isinstance(value, np.ndarray) and value.size < 20 else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _compare_datasets(a: h5py.Dataset, b: h5py.Dataset, tolerance: Tolerance) -> str:
    """ "" when equal, else what differs: how many elements, the largest difference, the first one."""
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    differing, largest, first, offset = 0, 0.0, "", 0
    for block_a, block_b in zip(_blocks(a), _blocks(b), strict=True):
        rows = len(block_a) if isinstance(block_a, np.ndarray) and block_a.ndim else 0
        if _equal(block_a, block_b, tolerance):
            offset += rows
            continue
        mask = _unequal(block_a, block_b, tolerance)
        if mask is None:  # scalars, or blocks that are not arrays
            return f"values: {_short(block_a)} vs {_short(block_b)}"
        differing += int(mask.sum())
        if block_a.dtype.kind in "biufc" and block_b.dtype.kind in "biufc":
            delta = np.abs(block_a.astype(np.float64) - block_b.astype(np.float64))[mask]
            largest = max(largest, float(np.nanmax(delta))) if delta.size else largest
        if not first:
            index = tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(mask)[0]), mask.shape))
            where = (index[0] + offset, *index[1:])
            first = f"first at {where}: {_short(block_a[index])} vs {_short(block_b[index])}"
        offset += rows
    if not differing:
        return ""
    size = f" (max |diff| {largest:.6g})" if largest else ""
    return f"values: {differing} of {int(np.prod(a.shape))} differ{size}; {first}"


def _compare(a: _Entry, b: _Entry, tolerance: Tolerance) -> str:
    if a.kind != b.kind:
        return f"{a.kind} vs {b.kind}"
    if a.kind == "link":
        return "" if a.obj == b.obj else f"target {a.obj} vs {b.obj}"
    if a.link and b.link and a.link != b.link:
        return f"link target {a.link} vs {b.link}"
    shape_a, dtype_a = _describe(a)
    shape_b, dtype_b = _describe(b)
    if a.kind == "dataset":
        detail = _compare_datasets(a.obj, b.obj, tolerance)
    else:
        value_a, value_b = _attribute(a), _attribute(b)
        detail = "" if _equal(value_a, value_b, tolerance) else f"values: {_short(value_a)} vs {_short(value_b)}"
    if not detail and dtype_a != dtype_b:
        detail = f"dtype {dtype_a} vs {dtype_b} (values equal)"
    return detail


def _label(entry: _Entry) -> str:
    if entry.kind == "link":
        return f"-> {entry.obj}"
    shape, dtype = _describe(entry)
    label = f"{'x'.join(map(str, shape)) if shape else 'scalar'} {dtype}"
    return f"{label} (-> {entry.link})" if entry.link and entry.kind == "dataset" else label


def compare_files(
    first: Path, second: Path, *, ignore_session_description: bool = False, tolerance: Tolerance | None = None
) -> list[Row]:
    """One row per entry of either file, sorted by path; ignored entries are left out."""
    tolerance = tolerance or Tolerance()
    ignored = [*IGNORED, *([SESSION_DESCRIPTION] if ignore_session_description else [])]
    rows: list[Row] = []
    with h5py.File(first, "r") as file_a, h5py.File(second, "r") as file_b:
        entries_a, entries_b = _entries(file_a), _entries(file_b)
        for path in sorted(set(entries_a) | set(entries_b)):
            if any(pattern.search(path) for pattern in ignored):
                continue
            a, b = entries_a.get(path), entries_b.get(path)
            if a is None or b is None:
                present = a or b
                assert present is not None
                status: Status = "only in second" if a is None else "only in first"
                label = _label(present)
                rows.append(Row(path, status, label if a else "", label if b else ""))
                continue
            detail = _compare(a, b, tolerance)
            status = DIFFERENT if detail else SAME
            if status == SAME and a.kind == "dataset" and bool(a.link) != bool(b.link):
                detail = "one file links to the dataset, the other holds a copy"
            rows.append(Row(path, status, _label(a), _label(b), detail))
    return rows


# ------------------------------------------------------------------------------------------------ reporting


def format_table(rows: list[Row], names: tuple[str, str], differences_only: bool = False) -> str:
    """A fixed-width table: status, path, what each file holds there, and how they differ."""
    shown = [row for row in rows if not (differences_only and row.status == SAME)]
    statuses = {"only in first": f"only in {names[0]}", "only in second": f"only in {names[1]}"}
    table = [("status", "path", names[0], names[1], "difference")]
    table += [(statuses.get(r.status, r.status), r.path, r.first, r.second, r.detail) for r in shown]
    widths = [min(max(len(line[i]) for line in table), 70) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line[:4], widths, strict=True)) + "  " + line[4]
        for line in table
    ]
    return "\n".join(line.rstrip() for line in lines)


def summary(rows: list[Row], names: tuple[str, str]) -> str:
    counts = {status: sum(1 for r in rows if r.status == status) for status in ("same", "different")}
    only_first = sum(1 for r in rows if r.status == "only in first")
    only_second = sum(1 for r in rows if r.status == "only in second")
    return (
        f"{counts['same']} same, {counts['different']} different, {only_first} only in {names[0]}, "
        f"{only_second} only in {names[1]}"
    )


def differs(rows: list[Row]) -> bool:
    return any(row.status != SAME for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--names", nargs=2, default=["first", "second"], help="column names for the two files")
    parser.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for numbers (default exact)")
    parser.add_argument("--atol", type=float, default=0.0, help="absolute tolerance for numbers (default exact)")
    parser.add_argument("--ignore-session-description", action="store_true")
    parser.add_argument("--differences-only", action="store_true", help="leave out the rows that are the same")
    args = parser.parse_args(argv)
    for path in (args.first, args.second):
        if not h5py.is_hdf5(path):
            parser.error(f"{path}: not an HDF5 file")
    names = (args.names[0], args.names[1])
    rows = compare_files(
        args.first,
        args.second,
        ignore_session_description=args.ignore_session_description,
        tolerance=Tolerance(args.rtol, args.atol),
    )
    print(format_table(rows, names, args.differences_only))
    print(summary(rows, names))
    return 1 if differs(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
