"""bench/nwb_diff.py, the comparison behind bench/compare_with_neuroconv.py: equal files compare equal, and every
kind of difference is reported at its path."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import h5py
import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def nwb_diff() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nwb_diff", BENCH / "nwb_diff.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["nwb_diff"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def write_file(path: Path, identifier: str = "a") -> Path:
    with h5py.File(path, "w") as f:
        f.create_dataset("identifier", data=identifier)
        f.create_dataset("file_create_date", data=[f"2026-01-0{len(identifier)}"])
        f.create_dataset("session_description", data="test")
        series = f.create_group("acquisition/Series")
        series.attrs["object_id"] = f"uuid-{identifier}"
        series.attrs["description"] = "a series"
        data = series.create_dataset("data", data=np.arange(12, dtype="<i2").reshape(4, 3), chunks=(2, 3))
        data.attrs["conversion"] = 0.5
        series.create_dataset("timestamps", data=np.array([0.0, np.nan, 2.0, 3.0]))
        series.create_dataset("labels", data=["x", "yy", "zzz", ""], dtype=h5py.string_dtype())
        mask = np.array([(1, 2, 0.5), (3, 4, 1.0)], dtype=[("x", "<u4"), ("y", "<u4"), ("weight", "<f4")])
        series.create_dataset("pixel_mask", data=mask)
        series["same_data"] = h5py.SoftLink("/acquisition/Series/data")
        f.create_group("general/devices/Microscope")
        series["device"] = h5py.SoftLink("/general/devices/Microscope")
    return path


def statuses(rows) -> dict[str, str]:
    return {row.path: row.status for row in rows}


def test_identical_files_compare_equal_whatever_their_identity(nwb_diff, tmp_path):
    first = write_file(tmp_path / "a.nwb", identifier="a")
    second = write_file(tmp_path / "b.nwb", identifier="bb")  # identifier, create date and object ids differ
    rows = nwb_diff.compare_files(first, second)
    assert not nwb_diff.differs(rows)
    found = statuses(rows)
    assert "identifier" not in found and "file_create_date" not in found
    assert "acquisition/Series@object_id" not in found
    assert found["acquisition/Series/timestamps"] == "same"  # NaN equals NaN
    assert found["acquisition/Series/pixel_mask"] == "same"
    assert found["acquisition/Series/device"] == "same"  # a link, compared by its target


def test_a_changed_value_is_reported_with_where_it_differs(nwb_diff, tmp_path):
    first = write_file(tmp_path / "a.nwb")
    second = write_file(tmp_path / "b.nwb")
    with h5py.File(second, "r+") as f:
        f["acquisition/Series/data"][2, 1] = 99
        f["acquisition/Series/labels"][1] = "changed"
        f["acquisition/Series/data"].attrs["conversion"] = 0.25
    rows = {row.path: row for row in nwb_diff.compare_files(first, second)}
    data = rows["acquisition/Series/data"]
    assert data.status == "different"
    assert "1 of 12 differ" in data.detail and "(2, 1)" in data.detail and "7 vs 99" in data.detail
    assert rows["acquisition/Series/labels"].status == "different"
    assert rows["acquisition/Series/data@conversion"].status == "different"
    assert rows["acquisition/Series/same_data"].status == "different"  # the link reads the changed dataset
    assert rows["acquisition/Series/timestamps"].status == "same"
    assert nwb_diff.differs(list(rows.values()))


def test_shape_dtype_and_presence_differences(nwb_diff, tmp_path):
    first = write_file(tmp_path / "a.nwb")
    second = write_file(tmp_path / "b.nwb")
    with h5py.File(second, "r+") as f:
        series = f["acquisition/Series"]
        timestamps = series["timestamps"][()]
        del series["timestamps"]
        series.create_dataset("timestamps", data=timestamps.astype("<f4"))
        del series["pixel_mask"]
        series.create_dataset("extra", data=[1, 2])
    with h5py.File(first, "r+") as f:
        labels = f["acquisition/Series/labels"].asstr()[()]
        del f["acquisition/Series/labels"]
        f["acquisition/Series"].create_dataset("labels", data=np.array(labels, dtype="S3"))  # fixed-length
    rows = {row.path: row for row in nwb_diff.compare_files(first, second)}
    assert rows["acquisition/Series/timestamps"].detail == "dtype float64 vs float32 (values equal)"
    assert rows["acquisition/Series/pixel_mask"].status == "only in first"
    assert rows["acquisition/Series/extra"].status == "only in second"
    assert rows["acquisition/Series/labels"].status == "same"  # strings compare by text, however stored


def test_a_copy_compares_with_a_link_to_the_same_values(nwb_diff, tmp_path):
    first = write_file(tmp_path / "a.nwb")
    second = tmp_path / "b.nwb"
    shutil.copy(first, second)
    with h5py.File(second, "r+") as f:
        series = f["acquisition/Series"]
        del series["same_data"]
        series.create_dataset("same_data", data=series["data"][()])
        series["same_data"].attrs["conversion"] = 0.5
    rows = {row.path: row for row in nwb_diff.compare_files(first, second)}
    assert rows["acquisition/Series/same_data"].status == "same"
    assert "links" in rows["acquisition/Series/same_data"].detail
    assert not nwb_diff.differs(list(rows.values()))


def test_session_description_is_ignored_only_when_asked(nwb_diff, tmp_path):
    first = write_file(tmp_path / "a.nwb")
    second = write_file(tmp_path / "b.nwb")
    with h5py.File(second, "r+") as f:
        del f["session_description"]
        f.create_dataset("session_description", data="a default")
    assert nwb_diff.differs(nwb_diff.compare_files(first, second))
    assert not nwb_diff.differs(nwb_diff.compare_files(first, second, ignore_session_description=True))


def test_large_datasets_compare_block_by_block(nwb_diff, tmp_path, monkeypatch):
    monkeypatch.setattr(nwb_diff, "BLOCK_BYTES", 64)  # 8 rows of 4 int16 per block
    data = np.arange(400, dtype="<i2").reshape(100, 4)
    for name in ("a.nwb", "b.nwb"):
        with h5py.File(tmp_path / name, "w") as f:
            f.create_dataset("data", data=data)
    with h5py.File(tmp_path / "b.nwb", "r+") as f:
        f["data"][97, 3] = -1
    (row,) = nwb_diff.compare_files(tmp_path / "a.nwb", tmp_path / "b.nwb")
    assert row.status == "different"
    assert row.detail == "values: 1 of 400 differ (max |diff| 392); first at (97, 3): 391 vs -1"
