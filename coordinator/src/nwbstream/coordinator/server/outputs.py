"""Where the conversion service puts finished files: a local folder or S3, the same four steps either way.

A job writes its file (or Zarr store) in a local staging folder, then publishes it as `<lab>/<job_id>/<name>`.
Nothing is visible under that name until it is complete: a local output is renamed into place (one file system);
an S3 output is uploaded under temporary keys (`<prefix>/.partial/...`), copied to its final keys (a Zarr store's
root metadata last, so that no reader opens a store with missing pieces) and the temporary keys are deleted.
`remove_partials` clears what a killed or cancelled run left. Fetch reads a published output in bounded pieces.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from ..errors import ConversionError

PART_SIZE = 16 * 2**20  # S3 multipart part size; memory in flight is at most PART_SIZE x TRANSFER_THREADS
TRANSFER_THREADS = 4
# Top-level keys of a Zarr store a reader opens first: copied last, so a store is visible only once complete.
ZARR_ROOT_METADATA = (".zattrs", ".zmetadata", "zarr.json", ".zgroup")
_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class Outputs(Protocol):
    def staging(self, lab: str, job_id: str) -> Path:
        """A local folder (created) where the job writes its file(s) before publishing them."""
        ...

    def publish(self, lab: str, job_id: str, local: Path, name: str) -> str:
        """Makes `local` (a file, or a Zarr folder) visible as `<lab>/<job_id>/<name>` once complete (`name` may
        hold "/"); returns its location: a path, or s3://bucket/key."""
        ...

    def files(self, location: str) -> list[tuple[str, int]]:
        """(relative path, size) of every file of a published output; paths start with the output's own name
        (`x.nwb`, or `x.nwb/.zgroup`, `x.nwb/acquisition/...` for a Zarr store), "/"-separated."""
        ...

    def read(self, location: str, relative: str, offset: int, size: int) -> bytes:
        """At most `size` bytes of one of `files(location)`, from `offset`."""
        ...

    def remove_partials(self, lab: str, job_id: str) -> None:
        """Removes what a killed or cancelled run of the job left: its staging folder, temporary keys, and the
        pieces of an S3 publication that did not finish. A finished publication is left as it is, so a runner
        calls it once a job ends, whatever its end, to clear the staging folder."""
        ...


def open_outputs(outputs: str, staging: Path | None = None) -> Outputs:
    """`outputs`: a local folder (created) or s3://bucket/prefix (endpoint, region and keys from the AWS_*
    environment, AWS_ENDPOINT_URL included). `staging`: where S3-bound outputs are written first (default: a
    folder in the system's temporary folder)."""
    if outputs.startswith("s3://"):
        bucket, _, prefix = outputs.removeprefix("s3://").partition("/")
        if not bucket:
            raise ConversionError(f"outputs {outputs!r}: no bucket; expected s3://bucket/prefix")
        import boto3

        local = staging if staging is not None else Path(tempfile.gettempdir()) / "nwbstream-staging"
        return S3Outputs(boto3.client("s3"), bucket, prefix.strip("/"), local)
    return LocalOutputs(Path(outputs))


class LocalOutputs:
    """A folder; staging is its hidden `.staging` folder, on the same file system, so publishing is a rename."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            (root / ".staging").mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConversionError(f"outputs {root}: cannot create the outputs folder: {error.strerror}") from None

    def staging(self, lab: str, job_id: str) -> Path:
        folder = self.root / ".staging" / _component(lab, "lab") / _component(job_id, "job id")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def publish(self, lab: str, job_id: str, local: Path, name: str) -> str:
        final = self.root / _component(lab, "lab") / _component(job_id, "job id") / _relative(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        incoming = self._same_file_system(lab, job_id, local)
        if final.is_dir():  # a run after a crash: the earlier store goes aside, is replaced, then removed
            aside = self.staging(lab, job_id) / f".replaced-{uuid.uuid4().hex[:8]}"
            os.replace(final, aside)
            os.replace(incoming, final)
            shutil.rmtree(aside)
        else:
            os.replace(incoming, final)
        return str(final)

    def files(self, location: str) -> list[tuple[str, int]]:
        path = Path(location)
        if path.is_file():
            return [(path.name, path.stat().st_size)]
        if not path.is_dir():
            raise ConversionError(f"{location}: no such output")
        return [
            (PurePosixPath(path.name, *file.relative_to(path).parts).as_posix(), file.stat().st_size)
            for file in sorted(p for p in path.rglob("*") if p.is_file())
        ]

    def read(self, location: str, relative: str, offset: int, size: int) -> bytes:
        path = Path(location)
        parts = _relative(relative).parts
        if parts[0] != path.name:
            raise ConversionError(f"{location}: {relative!r} is not a file of this output")
        with open(path.parent.joinpath(*parts), "rb") as stream:
            stream.seek(offset)
            return stream.read(size)

    def remove_partials(self, lab: str, job_id: str) -> None:
        shutil.rmtree(self.root / ".staging" / _component(lab, "lab") / _component(job_id, "job id"), True)

    def _same_file_system(self, lab: str, job_id: str, local: Path) -> Path:
        """`local` itself, or, when it lies on another file system, a copy in staging (then renamed)."""
        probe = self.staging(lab, job_id)
        if os.stat(local).st_dev == os.stat(probe).st_dev:
            return local
        copy = probe / f".incoming-{uuid.uuid4().hex[:8]}"
        if local.is_dir():
            shutil.copytree(local, copy)
        else:
            shutil.copyfile(local, copy)
        return copy


class S3Outputs:
    """A bucket and a key prefix; staging is a local folder. Transfers are boto3's managed ones: multipart above
    one part, so memory stays bounded by the parts in flight whatever the file size."""

    def __init__(self, client: Any, bucket: str, prefix: str, staging_root: Path, part_size: int = PART_SIZE) -> None:
        from boto3.s3.transfer import TransferConfig

        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.staging_root = staging_root
        self.transfer = TransferConfig(
            multipart_threshold=part_size, multipart_chunksize=part_size, max_concurrency=TRANSFER_THREADS
        )

    def staging(self, lab: str, job_id: str) -> Path:
        folder = self.staging_root / _component(lab, "lab") / _component(job_id, "job id")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def publish(self, lab: str, job_id: str, local: Path, name: str) -> str:
        final = self._key(_component(lab, "lab"), _component(job_id, "job id"), _relative(name).as_posix())
        partial = self._partial(lab, job_id)
        marker = f"{partial}/publishing/{_relative(name).as_posix()}"  # present while the final keys may be partial
        pieces = sorted(_pieces(local), key=lambda piece: piece[0] in ZARR_ROOT_METADATA)  # root metadata last
        try:
            self.client.put_object(Bucket=self.bucket, Key=marker, Body=b"")
            self._delete_output(final)  # what an earlier, killed run of this job left
            for relative, file in pieces:
                self.client.upload_file(
                    str(file), self.bucket, _join(f"{partial}/data/{name}", relative), Config=self.transfer
                )
            for relative, _ in pieces:
                self.client.copy(
                    {"Bucket": self.bucket, "Key": _join(f"{partial}/data/{name}", relative)},
                    self.bucket,
                    _join(final, relative),
                    Config=self.transfer,
                )
            self.client.delete_object(Bucket=self.bucket, Key=marker)
        except BaseException:
            self.remove_partials(lab, job_id, staging=False)
            raise
        self._delete_prefix(f"{partial}/data/")
        return f"s3://{self.bucket}/{final}"

    def files(self, location: str) -> list[tuple[str, int]]:
        key = self._location_key(location)
        name = key.rsplit("/", 1)[-1]
        found = []
        for obj in self._list(key):
            if obj["Key"] == key:
                found.append((name, obj["Size"]))
            elif obj["Key"].startswith(f"{key}/"):
                found.append((f"{name}/{obj['Key'][len(key) + 1 :]}", obj["Size"]))
        if not found:
            raise ConversionError(f"{location}: no such output")
        return sorted(found)

    def read(self, location: str, relative: str, offset: int, size: int) -> bytes:
        from botocore.exceptions import ClientError

        key = self._location_key(location)
        parts = _relative(relative).parts
        if parts[0] != key.rsplit("/", 1)[-1]:
            raise ConversionError(f"{location}: {relative!r} is not a file of this output")
        if size <= 0:
            return b""
        target = "/".join([key, *parts[1:]])
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=target, Range=f"bytes={offset}-{offset + size - 1}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""  # at or past the end
            raise ConversionError(f"s3://{self.bucket}/{target}: cannot read: {error}") from None
        return answer["Body"].read()

    def remove_partials(self, lab: str, job_id: str, staging: bool = True) -> None:
        partial = self._partial(lab, job_id)
        for obj in self._list(f"{partial}/publishing/"):
            name = obj["Key"][len(f"{partial}/publishing/") :]
            self._delete_output(self._key(lab, job_id, name))
        self._delete_prefix(f"{partial}/")
        if staging:
            shutil.rmtree(self.staging_root / _component(lab, "lab") / _component(job_id, "job id"), True)

    def _key(self, *parts: str) -> str:
        return "/".join([self.prefix, *parts] if self.prefix else parts)

    def _partial(self, lab: str, job_id: str) -> str:
        return self._key(".partial", _component(lab, "lab"), _component(job_id, "job id"))

    def _location_key(self, location: str) -> str:
        head = f"s3://{self.bucket}/"
        key = location.removeprefix(head)
        root = f"{self.prefix}/" if self.prefix else ""
        if key == location or not key.startswith(root) or key.startswith(f"{root}.partial/"):
            raise ConversionError(f"{location}: not an output of {head}{self.prefix}")
        return key

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            yield from page.get("Contents", [])

    def _delete_output(self, key: str) -> None:
        """The object `key` and every object under `key/` (a Zarr store)."""
        self._delete_keys(
            [obj["Key"] for obj in self._list(key) if obj["Key"] == key or obj["Key"].startswith(f"{key}/")]
        )

    def _delete_prefix(self, prefix: str) -> None:
        self._delete_keys([obj["Key"] for obj in self._list(prefix)])

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # S3's DeleteObjects limit
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})


def _pieces(local: Path) -> list[tuple[str, Path]]:
    """("", file) for a file; (path relative to the folder, file) for every file of a folder."""
    if local.is_file():
        return [("", local)]
    if local.is_dir():
        return [(file.relative_to(local).as_posix(), file) for file in sorted(local.rglob("*")) if file.is_file()]
    raise ConversionError(f"{local}: nothing to publish (no such file or folder)")


def _join(key: str, relative: str) -> str:
    return f"{key}/{relative}" if relative else key


def _component(value: str, what: str) -> str:
    if not _COMPONENT.match(value):
        raise ConversionError(f"{what} {value!r}: not a plain name (letters, digits, '_', '.', '-')")
    return value


def _relative(name: str) -> PurePosixPath:
    """A "/"-separated relative path with no empty, "." or ".." component."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")) or "\\" in name:
        raise ConversionError(f"output name {name!r}: expected a relative path such as sub-1/sub-1_ses-2.nwb")
    return path
