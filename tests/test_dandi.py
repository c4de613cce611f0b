"""DANDI (dandi.py): names as dandi's organize makes them, dandi's own validator offline, and the upload call up to
dandi's client (the upload itself needs the archive, which cannot be reached here)."""

from __future__ import annotations

import datetime as dt
import os

import dandi.upload
import pytest
from dandi.organize import create_unique_filenames_from_metadata
from nwbstream.coordinator.dandi import dandi_name, dandiset_folder, dandiset_id, upload, validate_for_dandi
from nwbstream.coordinator.errors import ConversionError
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.file import Subject

SESSIONS = [  # (subject_id, session_id): ids with characters dandi replaces
    ("m_1.a b", "2020:01/x"),
    ("mouse01", "s2;b,c"),
]


def metadata(subject_id="mouse01", session_id="s1", start="2020-01-01T12:00:00+00:00"):
    session = {"session_start_time": start} | ({"session_id": session_id} if session_id is not None else {})
    return {"NWBFile": session, "Subject": {"subject_id": subject_id} if subject_id is not None else {}}


def test_names_are_dandis_organized_names():
    # dandi's organize names several sessions of a subject sub-<id>/sub-<id>_ses-<id>.nwb (no modality suffix for
    # files without typed data); its result is the reference for the sanitized ids
    theirs = create_unique_filenames_from_metadata(
        [
            {"path": f"{i}.nwb", "subject_id": sub, "session_id": ses, "nd_types": []}
            for i, (sub, ses) in enumerate(SESSIONS)
        ]
    )
    assert [dandi_name(metadata(sub, ses)) for sub, ses in SESSIONS] == [r["dandi_path"] for r in theirs]
    assert dandi_name(metadata("m_1.a b", "2020:01/x")) == "sub-m-1-a-b/sub-m-1-a-b_ses-2020-01-x.nwb"
    assert dandi_name(metadata(7, 3)) == "sub-7/sub-7_ses-3.nwb"


def test_a_missing_session_id_is_the_start_as_dandi_makes_it():
    assert dandi_name(metadata(session_id=None)) == "sub-mouse01/sub-mouse01_ses-20200101T120000.nwb"
    assert dandi_name(metadata(session_id=None, start="2020-01-02T00:00:00+01:00")) == (
        "sub-mouse01/sub-mouse01_ses-20200102.nwb"
    )
    start = dt.datetime(2021, 5, 6, 7, 8, 9, tzinfo=dt.UTC)  # YAML gives datetimes
    assert dandi_name(metadata(session_id=None, start=start)) == "sub-mouse01/sub-mouse01_ses-20210506T070809.nwb"


def test_a_missing_subject_id_names_the_field():
    with pytest.raises(ConversionError, match="metadata Subject/subject_id: required to upload to DANDI"):
        dandi_name(metadata(subject_id=None))
    with pytest.raises(ConversionError, match="Subject/subject_id"):
        dandi_name({"NWBFile": {"session_id": "s1"}})


def test_dandiset_ids():
    assert dandiset_id("000123") == dandiset_id("DANDI:000123") == "000123"
    for wrong in ("123", "83", "abcdef", "0001234"):
        with pytest.raises(ConversionError, match=f"upload_to_dandiset '{wrong}': expected a six-digit"):
            dandiset_id(wrong)


def write(path, species="Mus musculus"):
    path.parent.mkdir(parents=True, exist_ok=True)
    nwbfile = NWBFile(
        session_description="dandi test",
        identifier="dandi-test",
        session_start_time=dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC),
        session_id="s1",
        subject=Subject(subject_id="mouse01", species=species, sex="M", age="P90D"),
    )
    nwbfile.add_acquisition(TimeSeries(name="trace", data=[1.0, 2.0, 3.0], unit="V", rate=10.0, description="t"))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def test_an_organized_valid_file_passes_dandis_validator(tmp_path):
    folder = dandiset_folder(tmp_path, "DANDI:000123")
    assert folder == tmp_path / "000123"
    assert (folder / "dandiset.yaml").read_text() == 'identifier: "DANDI:000123"\n'
    path = write(folder / dandi_name(metadata()))
    assert validate_for_dandi(path) == []


def test_dandis_validator_names_what_it_would_refuse(tmp_path):
    folder = dandiset_folder(tmp_path, "000123")
    path = write(folder / "sub-mouse01" / "session one.nwb", species=None)
    problems = validate_for_dandi(path)
    assert [p.split(": ")[1] for p in problems] == ["NWBI.check_subject_species_exists", "DANDI.NON_DANDI_FILENAME"]
    assert all(p.startswith(f"{path}: ") for p in problems)
    outside = write(tmp_path / "elsewhere" / "sub-mouse01_ses-s1.nwb")
    assert f"{outside}: DANDI.NO_DANDISET_FOUND: Path is not inside a Dandiset" in validate_for_dandi(outside)


def test_upload_calls_dandis_client_with_the_key(tmp_path, monkeypatch):
    folder = dandiset_folder(tmp_path, "000123")
    write(folder / dandi_name(metadata()))
    calls = []

    def record(paths, **options):  # stands for the archive, which cannot be reached from here
        calls.append((paths, options, os.environ.get("DANDI_SANDBOX_API_KEY")))

    monkeypatch.setattr(dandi.upload, "upload", record)
    monkeypatch.delenv("DANDI_SANDBOX_API_KEY", raising=False)
    upload(folder, "000123", "dandi-sandbox", "secret-key")
    [(paths, options, key)] = calls
    assert paths == [str(folder)]
    assert options == {"dandi_instance": "dandi-sandbox", "existing": "refresh", "validation": "require"}
    assert key == "secret-key"
    assert "DANDI_SANDBOX_API_KEY" not in os.environ  # only for the upload's duration

    with pytest.raises(ConversionError, match="no DANDI API key configured"):
        upload(folder, "000123", "dandi", "")
    with pytest.raises(ConversionError, match="not the local folder of Dandiset 000456"):
        upload(folder, "000456", "dandi", "secret-key")
    assert len(calls) == 1
