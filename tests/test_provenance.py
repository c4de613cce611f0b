"""Provenance in every output: the nwbstream version, the spec (text and name) and every source file's name, size
and SHA-256, written as the NWBFile's source script (provenance.py). Checksums are compared with hashlib's."""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from nwbstream.coordinator.converter import Converter
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.provenance import provenance, provenance_in_background
from pynwb import NWBHDF5IO

from .conftest import START, TESTDATA
from .fixtures.general import generate
from .nwbcheck import assert_valid_nwb
from .test_cli import run

CSV = TESTDATA / "general" / "csv" / "trials.csv"  # real: NeuroConv's test trials.csv
IMAGES = generate.REAL_IMAGES  # real: DeepLabCut example frames
VERSION = version("nwbstream-coordinator")


def expected(file: Path, name: str | None = None) -> dict:
    data = file.read_bytes()
    return {"name": name or str(file), "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def source_script(path: Path) -> tuple[dict, str]:
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        return json.loads(nwbfile.source_script), nwbfile.source_script_file_name


def test_convert_records_the_version_the_spec_and_every_source(tmp_path):
    frames = []  # the real frames again, renamed: the file's image names must differ from the folder's
    for index, frame in enumerate(sorted(IMAGES.glob("*.png"))):
        frames.append(tmp_path / f"frame{index}.png")
        frames[-1].write_bytes(frame.read_bytes())
    spec = tmp_path / "lab-session.yml"
    spec.write_text(
        yaml.safe_dump(
            {
                "metadata": START,
                "data_interfaces": {
                    "Trials": "CsvTimeIntervalsInterface",
                    "Images": "ImageInterface",
                    "Frames": "ExternalImageInterface",
                },
                "experiments": {
                    "exp": {
                        "sessions": [
                            {
                                "nwbfile_name": "session.nwb",
                                "source_data": {
                                    "Trials": {"file_path": str(CSV)},
                                    "Images": {"folder_path": str(IMAGES)},
                                    "Frames": {"file_paths": [str(frames[1]), str(frames[0])]},
                                },
                            }
                        ]
                    }
                },
            },
            sort_keys=False,
        )
    )
    result = run("convert", str(spec), "--no-progress")
    assert result.returncode == 0, result.stderr
    output = tmp_path / "session.nwb"
    assert_valid_nwb(output)  # the schema and nwbinspector accept the source script
    record, file_name = source_script(output)
    assert file_name == "lab-session.yml"
    assert record["nwbstream"] == {"distribution": "nwbstream-coordinator", "version": VERSION}
    assert record["spec"] == {"name": "lab-session.yml", "text": spec.read_text()}
    walked = sorted(p for p in IMAGES.rglob("*") if p.is_file())
    assert record["sources"] == [
        {"interface": "Trials", "interface_name": "CsvTimeIntervalsInterface", "argument": "file_path"} | expected(CSV),
        *(
            {"interface": "Images", "interface_name": "ImageInterface", "argument": "folder_path"} | expected(file)
            for file in walked
        ),
        *(
            {"interface": "Frames", "interface_name": "ExternalImageInterface", "argument": "file_paths"}
            | expected(file)
            for file in (frames[1], frames[0])
        ),
    ]


def test_the_python_client_keeps_a_users_source_script(tmp_path):
    interfaces = {"Trials": ("CsvTimeIntervalsInterface", {"file_path": str(CSV)})}
    record = provenance("data_interfaces: {}\n", "", interfaces)
    metadata = {
        **START,
        "NWBFile": {**START["NWBFile"], "source_script": "print(1)", "source_script_file_name": "a.py"},
    }
    with Converter(interfaces) as converter:
        path = converter.run_conversion(tmp_path / "out.nwb", metadata=metadata, progress=False, provenance=record)
    written, file_name = source_script(path)
    assert file_name == "spec.yml"  # a spec without a name (sent as text) still names one
    assert written["metadata_source_script"] == {"file_name": "a.py", "text": "print(1)"}
    assert written["sources"] == [
        {"interface": "Trials", "interface_name": "CsvTimeIntervalsInterface", "argument": "file_path"} | expected(CSV)
    ]


def test_names_relative_to_the_root_and_links_out_of_it_not_read(tmp_path):
    root, outside = tmp_path / "lab", tmp_path / "elsewhere"
    (root / "session" / "sub").mkdir(parents=True)
    outside.mkdir()
    big = root / "session" / "sub" / "big.bin"
    big.write_bytes(os.urandom(3 * 2**20 + 5))  # several of hashlib's blocks
    (root / "session" / "a.txt").write_text("a")
    (outside / "secret").write_text("not the lab's")
    (root / "session" / "link").symlink_to(outside / "secret")
    record = provenance("", "s.yml", {"X": ("AnyInterface", {"folder_path": str(root / "session")})}, root=root)
    base = {"interface": "X", "interface_name": "AnyInterface", "argument": "folder_path"}
    assert record["sources"] == [
        base | expected(root / "session" / "a.txt", "session/a.txt"),
        base | {"name": "session/link", "outside_root": True},
        base | expected(big, "session/sub/big.bin"),
    ]


def test_a_missing_source_is_named_in_the_sessions_future(tmp_path):
    sessions = {
        "ok": {"T": ("CsvTimeIntervalsInterface", {"file_path": str(CSV)})},
        "bad": {"T": ("CsvTimeIntervalsInterface", {"file_path": str(tmp_path / "gone.csv")})},
    }
    futures = provenance_in_background("", "s.yml", sessions)
    assert futures["ok"].result(timeout=30)["sources"][0]["sha256"] == expected(CSV)["sha256"]
    with pytest.raises(ConversionError, match="T: file_path .*gone.csv: no such file or folder"):
        futures["bad"].result(timeout=30)
