"""Bad ophys input through the real CLI: one clear message naming the file, no traceback, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import OPHYS, served
from .test_bad_input import assert_clean_failure, convert, output_folder, write_spec

TIFF = OPHYS / "tiff" / "multipage.tif"


@pytest.fixture(scope="module")
def ophys_address():
    with served("ophys") as address:
        yield address


def tiff_source(path: Path) -> tuple[str, dict]:
    return "TiffImagingInterface", {"file_path": str(path), "sampling_frequency": 30.0}


def truncated(folder: Path) -> Path:
    path = folder / "truncated.tif"
    path.write_bytes(TIFF.read_bytes()[: TIFF.stat().st_size // 2])
    return path


def empty(folder: Path) -> Path:
    path = folder / "empty.tif"
    path.write_bytes(b"")
    return path


def not_a_tiff(folder: Path) -> Path:
    path = folder / "notes.tif"
    path.write_text("frame,value\n1,2\n")
    return path


@pytest.mark.parametrize("make", [truncated, empty, not_a_tiff])
def test_broken_tiff(tmp_path, ecephys_address, ophys_address, make):
    path = make(tmp_path)
    spec = write_spec(
        tmp_path, {"Imaging": ("TiffImagingInterface", {"file_path": str(path), "sampling_frequency": 30.0})}
    )
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address, "--service", f"ophys={ophys_address}")
    assert_clean_failure(result, out, path.name)


def test_suite2p_folder_without_its_rois(tmp_path, ecephys_address, ophys_address):
    folder = tmp_path / "suite2p"
    shutil.copytree(OPHYS / "suite2p" / "suite2p", folder)
    (folder / "plane0" / "stat.npy").unlink()
    spec = write_spec(tmp_path, {"Segmentation": ("Suite2pSegmentationInterface", {"folder_path": str(folder)})})
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address, "--service", f"ophys={ophys_address}")
    assert_clean_failure(result, out, str(folder))


def test_missing_tiff(tmp_path, ecephys_address, ophys_address):
    missing = tmp_path / "no_such_movie.tif"
    spec = write_spec(
        tmp_path, {"Imaging": ("TiffImagingInterface", {"file_path": str(missing), "sampling_frequency": 30.0})}
    )
    out = output_folder(tmp_path)
    result = convert(spec, out, ecephys_address, "--service", f"ophys={ophys_address}")
    assert_clean_failure(result, out, "no_such_movie.tif", "no such file")
