"""Outputs (server/outputs.py) on a real S3-compatible server on loopback (moto's server, started here) and on a
local folder: a file and a Zarr-like folder are published under `<lab>/<job_id>/<name>` only once complete, no
temporary key or staging file is left, and `files`/`read` give the bytes back."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server.outputs import LocalOutputs, S3Outputs, open_outputs

from .conftest import BUCKET

MiB = 2**20


def keys(client) -> list[str]:
    return sorted(obj["Key"] for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def a_store(folder: Path) -> dict[str, bytes]:
    """A Zarr-like folder: root metadata, nested chunk files; returns relative path -> bytes."""
    content = {
        ".zgroup": b'{"zarr_format": 2}',
        ".zattrs": b"{}",
        "acquisition/trace/data/.zarray": b'{"chunks": [4]}',
        "acquisition/trace/data/0": os.urandom(1000),
        "acquisition/trace/data/1": os.urandom(10),
    }
    for relative, data in content.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
    return content


def read_all(outputs, location: str, piece: int = 300) -> dict[str, bytes]:
    """Every file of an output, read back in pieces of `piece` bytes, as Fetch streams them."""
    result = {}
    for relative, size in outputs.files(location):
        data = b"".join(outputs.read(location, relative, offset, piece) for offset in range(0, size, piece))
        assert len(data) == size
        result[relative] = data
    return result


def test_s3_publishes_a_file_only_once_complete(s3, tmp_path):
    outputs = S3Outputs(boto3.client("s3"), BUCKET, "core/nwb", tmp_path / "staging", part_size=5 * MiB)
    local = outputs.staging("lab-a", "job1") / "session.nwb"
    assert local.parent == tmp_path / "staging" / "lab-a" / "job1"
    data = os.urandom(11 * MiB + 3)  # three parts: a multipart upload, and a multipart copy
    local.write_bytes(data)
    calls = []  # (operation, the bucket's keys just before it)
    outputs.client.meta.events.register(
        "before-call.s3", lambda event_name, **_: calls.append((event_name.rsplit(".", 1)[-1], keys(s3)))
    )

    location = outputs.publish("lab-a", "job1", local, "sub-1/sub-1_ses-2.nwb")

    final = "core/nwb/lab-a/job1/sub-1/sub-1_ses-2.nwb"
    assert location == f"s3://{BUCKET}/{final}"
    operations = [operation for operation, _ in calls]
    assert operations.count("UploadPart") == 3 and operations.count("UploadPartCopy") == 3
    done = operations.index("DeleteObject")  # the marker goes once the final key is complete
    assert all(final not in listing for _, listing in calls[:done])  # never visible while incomplete
    assert final in calls[done][1]
    assert any(k.startswith("core/nwb/.partial/lab-a/job1/data/") for _, listing in calls[:done] for k in listing)
    assert keys(s3) == [final]  # no temporary key left
    assert s3.head_object(Bucket=BUCKET, Key=final)["ContentLength"] == len(data)
    assert outputs.files(location) == [("sub-1_ses-2.nwb", len(data))]
    assert outputs.read(location, "sub-1_ses-2.nwb", 5 * MiB - 7, 20) == data[5 * MiB - 7 : 5 * MiB + 13]
    assert outputs.read(location, "sub-1_ses-2.nwb", len(data), 10) == b""  # at the end
    outputs.remove_partials("lab-a", "job1")  # a job's end: the staging folder goes, the output stays
    assert not local.parent.exists()
    assert keys(s3) == [final]


def test_s3_publishes_a_folder_with_its_root_metadata_last(s3, tmp_path):
    outputs = open_outputs(f"s3://{BUCKET}/core", staging=tmp_path / "staging")
    store = outputs.staging("lab-a", "job2") / "x.nwb"
    content = a_store(store)
    copied = []
    outputs.client.meta.events.register(
        "before-parameter-build.s3.CopyObject", lambda params, **_: copied.append(params["Key"])
    )

    location = outputs.publish("lab-a", "job2", store, "x.nwb")

    assert location == f"s3://{BUCKET}/core/lab-a/job2/x.nwb"
    assert len(copied) == len(content)
    assert {key.rsplit("/", 1)[-1] for key in copied[-2:]} == {".zgroup", ".zattrs"}  # a reader sees it last
    assert keys(s3) == sorted(f"core/lab-a/job2/x.nwb/{relative}" for relative in content)
    assert read_all(outputs, location) == {f"x.nwb/{relative}": data for relative, data in content.items()}
    with pytest.raises(ConversionError, match="not a file of this output"):
        outputs.read(location, "y.nwb/.zgroup", 0, 10)
    with pytest.raises(ConversionError, match="expected a relative path"):
        outputs.read(location, "x.nwb/../../job1/session.nwb", 0, 10)


def test_s3_a_failed_publication_leaves_nothing(s3, tmp_path):
    outputs = open_outputs(f"s3://{BUCKET}/core", staging=tmp_path / "staging")
    store = outputs.staging("lab-a", "job3") / "x.nwb"
    a_store(store)
    vanishing = store / "acquisition" / "trace" / "data" / "1"

    def lose_a_file(**_):  # the file goes away after the first upload: publishing stops halfway
        vanishing.unlink(missing_ok=True)

    outputs.client.meta.events.register("before-call.s3.PutObject", lose_a_file)
    with pytest.raises(FileNotFoundError):
        outputs.publish("lab-a", "job3", store, "x.nwb")
    assert keys(s3) == []  # no final key, no temporary key


def test_s3_remove_partials_clears_a_killed_publication(s3, tmp_path):
    outputs = open_outputs(f"s3://{BUCKET}/core", staging=tmp_path / "staging")
    store = outputs.staging("lab-a", "job4") / "x.nwb"
    content = a_store(store)

    class Killed(Exception):
        pass

    def kill_midway(params, **_):  # the process dies halfway through the copies, before it can clean up
        if params["Key"].endswith("/1"):
            raise Killed

    outputs.client.meta.events.register("before-parameter-build.s3.CopyObject", kill_midway)
    cleanup = outputs.remove_partials
    outputs.remove_partials = lambda *args, **kwargs: None
    with pytest.raises(Killed):
        outputs.publish("lab-a", "job4", store, "x.nwb")
    left = keys(s3)
    assert any(k.startswith("core/lab-a/job4/x.nwb/") for k in left)  # some final keys, without the root metadata
    assert "core/lab-a/job4/x.nwb/.zgroup" not in left
    assert any(k.startswith("core/.partial/lab-a/job4/") for k in left)

    outputs.remove_partials = cleanup  # the restarted coordinator
    outputs.remove_partials("lab-a", "job4")
    assert keys(s3) == []
    assert not store.exists()
    assert len(content) == 5


def test_open_outputs_refuses_a_bucketless_url():
    with pytest.raises(ConversionError, match="no bucket"):
        open_outputs("s3:///prefix")


def test_local_publishes_by_renaming(tmp_path):
    outputs = open_outputs(str(tmp_path / "outputs"))
    assert isinstance(outputs, LocalOutputs)
    staging = outputs.staging("lab-a", "job1")
    assert staging.is_relative_to(tmp_path / "outputs" / ".staging")  # the same file system: a rename
    (staging / "session.nwb").write_bytes(data := os.urandom(1000))
    location = outputs.publish("lab-a", "job1", staging / "session.nwb", "sub-1/sub-1_ses-2.nwb")
    assert location == str(tmp_path / "outputs" / "lab-a" / "job1" / "sub-1" / "sub-1_ses-2.nwb")
    assert read_all(outputs, location) == {"sub-1_ses-2.nwb": data}
    assert not (staging / "session.nwb").exists()

    store = outputs.staging("lab-a", "job2") / "x.nwb"
    content = a_store(store)
    location = outputs.publish("lab-a", "job2", store, "x.nwb")
    assert read_all(outputs, location, piece=7) == {f"x.nwb/{relative}": data for relative, data in content.items()}

    again = outputs.staging("lab-a", "job2") / "x.nwb"  # a second run of the job replaces the store whole
    (again / "only").mkdir(parents=True)
    (again / "only" / "file").write_bytes(b"new")
    assert outputs.publish("lab-a", "job2", again, "x.nwb") == location
    assert read_all(outputs, location) == {"x.nwb/only/file": b"new"}

    outputs.remove_partials("lab-a", "job2")
    assert sorted(p.name for p in (tmp_path / "outputs" / ".staging" / "lab-a").iterdir()) == ["job1"]


def test_local_publishes_from_another_folder_and_refuses_escapes(tmp_path):
    outputs = open_outputs(str(tmp_path / "outputs"))
    elsewhere = tmp_path / "elsewhere.nwb"
    elsewhere.write_bytes(b"data")
    location = outputs.publish("lab-a", "job1", elsewhere, "out.nwb")
    assert Path(location).read_bytes() == b"data"
    for name in ("../escape.nwb", "/abs.nwb", "a//b.nwb", ""):
        with pytest.raises(ConversionError, match="expected a relative path"):
            outputs.publish("lab-a", "job1", elsewhere, name)
    with pytest.raises(ConversionError, match="lab '../x': not a plain name"):
        outputs.staging("../x", "job1")
    with pytest.raises(ConversionError, match="not a file of this output"):
        outputs.read(location, "other.nwb", 0, 1)
