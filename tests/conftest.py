"""Shared fixtures: where the real test files are, a SpikeGLX session built from real .meta files, one ecephys
service on loopback and one throwaway PostgreSQL server for the whole run."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import boto3
import numpy as np
import pytest
from nwbstream.coordinator.converter import Converter
from nwbstream.coordinator.services import ServiceSet

from .postgres import postgres_server

TESTDATA = Path(
    os.environ.get("NWBSTREAM_TESTDATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "testdata")
)
ECEPHYS = TESTDATA / "ecephys"
META_ONLY = ECEPHYS / "spikeglx" / "meta_only"
OPHYS = TESTDATA / "ophys"
# What every output needs so that nwbinspector finds nothing CRITICAL about the subject.
SUBJECT = {"subject_id": "mouse01", "species": "Mus musculus", "sex": "M", "age": "P90D"}
START = {
    "NWBFile": {"session_start_time": "2020-01-01T12:00:00+00:00", "session_description": "test"},
    "Subject": SUBJECT,
}


def convert(services, interfaces, path, metadata=START, **options):
    """One session through the Python client, as a NeuroConv user writes it."""
    with Converter(interfaces, services) as converter:
        return converter.run_conversion(nwbfile_path=path, metadata=metadata, progress=False, **options)


def pytest_collection_modifyitems(items):
    if not TESTDATA.is_dir():
        raise pytest.UsageError(f"test data not found at {TESTDATA}; set NWBSTREAM_TESTDATA")


def write_spikeglx_from_meta(folder: Path, meta_file: Path, stream_id: str, n_samples: int, seed: int = 0) -> Path:
    """A real SpikeGLX .meta (as acquisition wrote it) paired with a generated .bin of `n_samples` samples.

    The shared test data has .meta files only (the .bin files are gigabytes), so the .bin is generated here
    and the .meta's fileSizeBytes, fileTimeSecs and fileName are edited to match it; everything else in the
    .meta (probe, channel map, gains, geometry) is as SpikeGLX wrote it.
    """
    text = meta_file.read_text()
    n_channels = int(re.search(r"^nSavedChans=(\d+)", text, re.M).group(1))
    rate = float(re.search(r"^imSampRate=([\d.]+)", text, re.M).group(1))
    stem = f"fixture_g0_t0.{stream_id}"
    bin_file = folder / f"{stem}.bin"
    text = re.sub(r"^fileSizeBytes=.*$", f"fileSizeBytes={n_samples * n_channels * 2}", text, flags=re.M)
    text = re.sub(r"^fileTimeSecs=.*$", f"fileTimeSecs={n_samples / rate}", text, flags=re.M)
    text = re.sub(r"^fileName=.*$", f"fileName={bin_file}", text, flags=re.M)
    (folder / f"{stem}.meta").write_text(text)
    rng = np.random.default_rng(seed)
    rng.integers(-600, 600, (n_samples, n_channels), dtype=np.int16).tofile(bin_file)
    return folder


@pytest.fixture(scope="session")
def spikeglx_folder(tmp_path_factory) -> Path:
    """NP1.0 AP (real meta of a 2023 IBL recording) and LF (real meta of a 2019 3B recording) of one probe."""
    folder = tmp_path_factory.mktemp("spikeglx")
    write_spikeglx_from_meta(folder, META_ONLY / "sample3B_version202304.ap.meta", "imec0.ap", 45_000, seed=1)
    write_spikeglx_from_meta(folder, META_ONLY / "sample3B_g0_t0.imec1.lf.meta", "imec0.lf", 3_750, seed=2)
    return folder


@pytest.fixture(scope="session")
def services():
    """Every installed service, embedded, for the whole run (real gRPC over unix sockets)."""
    with ServiceSet() as service_set:
        yield service_set


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server for the whole run (tests/postgres.py), as the URL of its `postgres` database
    and superuser; a test that writes takes a database of its own with tests.postgres.fresh_database(url)."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def ecephys_address():
    """A service started as `nwbstream serve ecephys --port N` on loopback TCP, for the CLI's --service."""
    with served("ecephys") as address:
        yield address


@contextlib.contextmanager
def served(modality: str):
    """`nwbstream serve MODALITY --port N` on loopback TCP, healthy; stopped on exit."""
    from nwbstream.coordinator.client import ServiceClient

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "nwbstream.coordinator.cli", "serve", modality, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"127.0.0.1:{port}"
    client = ServiceClient(address, modality)
    try:
        client.wait_healthy(120)
        yield address
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=20)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


BUCKET = "outputs"  # the bucket the `s3` fixture makes


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server on loopback (moto's), for the whole run."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _answers(port), timeout=60), "moto server did not start"
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=20)


def _answers(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def s3(s3_endpoint, monkeypatch, tmp_path):
    """The AWS_* environment a data core sets, and a fresh bucket; yields a client for looking."""
    for name, value in {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    keys = [obj["Key"] for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    if keys:
        client.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
    client.delete_bucket(Bucket=BUCKET)
