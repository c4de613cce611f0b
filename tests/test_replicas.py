"""A modality served by several replicas: each dataset's chunk ranges are spread over them (two real ecephys
processes, their Prometheus counters say who served what), the file is the one a single replica writes, a name that
resolves to several addresses counts as several replicas, and a replica that dies mid-run leaves its ranges to the
others."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
from nwbstream.coordinator import endpoints
from nwbstream.coordinator.client import ServiceClient
from nwbstream.coordinator.endpoints import Endpoint, resolve_endpoints
from nwbstream.coordinator.errors import ConversionError, ServiceUnavailable
from nwbstream.coordinator.pipeline import Transfer, chunk_ranges
from nwbstream.coordinator.server.client import ConversionClient
from nwbstream.coordinator.server.config import load_config
from nwbstream.coordinator.services import ServiceSet
from nwbstream.coordinator.tls import TLSFiles
from nwbstream.v1 import conversion_pb2 as pb

from .certificates import make_pki
from .conftest import START, convert
from .conversion_server import TOKENS, write_config
from .conversion_server import serving as conversion_service
from .serving import free_port, serve_command, serving
from .test_cli import run, write_spec
from .test_conversion_service import spec_text, wait_final
from .test_metrics import scrape

AP = "acquisition/ElectricalSeriesAPImec0/data"
LF = "acquisition/ElectricalSeriesLFImec0/data"
# Small chunks, so that each dataset has many: 45 x 4 for the AP stream, 4 x 6 for the LF stream.
AP_CHUNKS = {"ElectricalSeriesAPImec0/data": {"chunk_shape": [1000, 96]}}
LF_CHUNKS = {"ElectricalSeriesLFImec0/data": {"chunk_shape": [1000, 64]}}
CHUNKS = {"datasets": {**AP_CHUNKS, **LF_CHUNKS}}
METADATA = {**START, "NWBFile": {**START["NWBFile"], "identifier": "replicas"}}  # equal files: one identifier
SERVED = "nwbstream_service_chunks_served_total"
SERVICE = "SpikeGLXRecordingInterface"


@contextlib.contextmanager
def metered(*options: str) -> Iterator[tuple[str, str]]:
    """An ecephys service with its Prometheus endpoint: its address and its metrics' URL."""
    port = free_port()
    with serving("ecephys", *options, "--metrics", f"127.0.0.1:{port}") as address:
        yield address, f"http://127.0.0.1:{port}/metrics"


def chunks_served(url: str) -> float:
    return scrape(url).get((SERVED, frozenset({("modality", "ecephys")})), 0.0)


@pytest.fixture(scope="module")
def replicas():
    """Two ecephys services: (address, metrics URL) each."""
    with metered() as first, metered() as second:
        yield first, second


@pytest.fixture(scope="module")
def interfaces(spikeglx_folder):
    return {
        "AP": (SERVICE, {"folder_path": str(spikeglx_folder), "stream_id": "imec0.ap"}),
        "LF": (SERVICE, {"folder_path": str(spikeglx_folder), "stream_id": "imec0.lf"}),
    }


@pytest.fixture(scope="module")
def one_replica_file(replicas, interfaces, tmp_path_factory) -> Path:
    (address, _), _ = replicas
    with ServiceSet({"ecephys": address}, needs={SERVICE}) as services:
        return convert(
            services, interfaces, tmp_path_factory.mktemp("one") / "one.nwb", METADATA, backend_configuration=CHUNKS
        )


def assert_same_datasets(path: Path, expected: Path) -> None:
    """Every dataset of both files has the same dtype, shape and values, and every chunk the same stored bytes
    (references compare by the path they point to); only the file's creation time may differ."""
    with h5py.File(path, "r") as one, h5py.File(expected, "r") as other:
        names: dict[h5py.File, list[str]] = {one: [], other: []}
        for file in (one, other):
            file.visititems(
                lambda name, item, f=file: names[f].append(name) if isinstance(item, h5py.Dataset) else None
            )
        assert names[one] == names[other]
        for name in names[one]:
            if name == "file_create_date":
                continue
            a, b = one[name], other[name]
            assert (a.dtype, a.shape, a.chunks) == (b.dtype, b.shape, b.chunks), name
            if a.dtype.kind == "O" and h5py.check_ref_dtype(a.dtype):
                assert [one[r].name for r in a[()].ravel()] == [other[r].name for r in b[()].ravel()], name
            else:
                assert np.array_equal(np.asarray(a[()]), np.asarray(b[()])), name
            if a.chunks is not None:
                for index in range(a.id.get_num_chunks()):
                    offset = a.id.get_chunk_info(index).chunk_offset
                    assert a.id.read_direct_chunk(offset) == b.id.read_direct_chunk(offset), (name, offset)


def chunk_counts(path: Path) -> dict[str, int]:
    with h5py.File(path, "r") as file:
        return {name: file[name].id.get_num_chunks() for name in (AP, LF)}


def test_two_replicas_share_each_dataset_and_write_the_same_file(replicas, interfaces, one_replica_file, tmp_path):
    (first, first_url), (second, second_url) = replicas
    before = [chunks_served(first_url), chunks_served(second_url)]
    with ServiceSet({"ecephys": [first, second]}, needs={SERVICE}) as services:
        assert services.clients["ecephys"].addresses == [first, second]
        path = convert(services, interfaces, tmp_path / "two.nwb", METADATA, backend_configuration=CHUNKS)
    served = [chunks_served(first_url) - before[0], chunks_served(second_url) - before[1]]
    assert_same_datasets(path, one_replica_file)
    counts = chunk_counts(path)
    assert counts == {AP: 180, LF: 24}
    # each dataset cut in two: the first half of its chunks from the first replica, the rest from the second
    assert served == [sum(n // 2 for n in counts.values()), sum(n - n // 2 for n in counts.values())]


def test_the_cli_takes_replicas_as_a_list(replicas, spikeglx_folder, tmp_path):
    (first, first_url), (second, second_url) = replicas
    before = [chunks_served(first_url), chunks_served(second_url)]
    source = {"folder_path": str(spikeglx_folder), "stream_id": "imec0.lf"}
    spec = write_spec(
        tmp_path / "spec.yml",
        {"lf.nwb": {"source_data": {"LF": source}, "metadata": METADATA}},
        {"LF": SERVICE},
        backend_configuration={"datasets": LF_CHUNKS},
    )
    result = run("convert", str(spec), "--service", f"ecephys={first},{second}", "--output-folder", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert chunk_counts_of(tmp_path / "lf.nwb", LF) == 24
    assert [chunks_served(first_url) - before[0], chunks_served(second_url) - before[1]] == [12, 12]


def chunk_counts_of(path: Path, dataset: str) -> int:
    with h5py.File(path, "r") as file:
        return file[dataset].id.get_num_chunks()


def resolve_as(monkeypatch, name: str, ips: list[str]) -> None:
    """`name` resolves to `ips` (as a headless Service's name to its pods' addresses); other names as they do."""
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == name:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port))) for ip in ips]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(endpoints.socket, "getaddrinfo", resolve)


def test_a_name_with_two_addresses_is_two_replicas(interfaces, one_replica_file, monkeypatch, tmp_path):
    """As a Kubernetes headless Service: one name, one address per ready pod (here 127.0.0.1 and 127.0.0.2, one
    service process on each, the same port)."""
    port = str(free_port())
    resolve_as(monkeypatch, "ecephys.headless", ["127.0.0.1", "127.0.0.2"])
    first, second = metered("--host", "127.0.0.1", "--port", port), metered("--host", "127.0.0.2", "--port", port)
    with first as (_, first_url), second as (_, second_url):
        with ServiceSet({"ecephys": f"ecephys.headless:{port}"}, needs={SERVICE}) as services:
            assert services.clients["ecephys"].addresses == [f"127.0.0.1:{port}", f"127.0.0.2:{port}"]
            path = convert(services, interfaces, tmp_path / "headless.nwb", METADATA, backend_configuration=CHUNKS)
        assert (chunks_served(first_url), chunks_served(second_url)) == (102, 102)
    assert_same_datasets(path, one_replica_file)


def test_resolving_addresses(monkeypatch):
    assert resolve_endpoints("unix:/tmp/ecephys.sock") == [Endpoint("unix:/tmp/ecephys.sock")]
    assert resolve_endpoints(["10.0.0.5:50051", "[::1]:50051", "10.0.0.5:50051"]) == [
        Endpoint("10.0.0.5:50051"),
        Endpoint("[::1]:50051"),
    ]
    assert resolve_endpoints("localhost:50051") == [Endpoint("localhost:50051")]  # one address here: kept as named
    answers = {"pods": [("10.1.0.7",), ("fd00::8",), ("10.1.0.7",)]}  # an address twice (TCP and UDP answers)

    def fake(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for (ip,) in answers[host]]

    monkeypatch.setattr(endpoints.socket, "getaddrinfo", fake)
    assert resolve_endpoints("pods:50051") == [Endpoint("10.1.0.7:50051", "pods"), Endpoint("[fd00::8]:50051", "pods")]
    with pytest.raises(ServiceUnavailable, match="nowhere:50051: cannot resolve nowhere"):
        resolve_endpoints("nowhere:50051")


def test_chunk_ranges_cover_each_dataset_once():
    def ranges(n_chunks: int, replicas: int) -> list[tuple[int, int, int]]:
        service = SimpleNamespace(addresses=[f"r{i}" for i in range(replicas)])
        layout = SimpleNamespace(n_chunks=n_chunks, key="ElectricalSeries/data")
        transfer = Transfer(SimpleNamespace(service=service), "ElectricalSeries", "data", layout, "")
        return [(part.start, part.stop, part.replica) for part in chunk_ranges(transfer)]

    assert ranges(180, 1) == [(0, 180, 0)]
    assert ranges(5, 2) == [(0, 2, 0), (2, 5, 1)]
    assert ranges(7, 3) == [(0, 2, 0), (2, 4, 1), (4, 7, 2)]
    assert ranges(1, 3) == [(0, 1, 0)]  # fewer chunks than replicas
    assert ranges(0, 2) == [(0, 0, 0)]


def test_a_replica_that_dies_mid_run_leaves_its_ranges_to_the_other(interfaces, one_replica_file, tmp_path):
    with metered() as (first, first_url):
        port = free_port()
        second = f"127.0.0.1:{port}"
        process = subprocess.Popen(serve_command("ecephys", "--port", str(port)), stdout=subprocess.DEVNULL)
        try:
            probe = ServiceClient(second, "ecephys")
            probe.wait_healthy(120)
            probe.close()
            before = chunks_served(first_url)
            killed = threading.Event()

            def on_chunk(chunk, seconds):
                # the AP stream's second half is the second replica's: kill it once its first chunk arrived
                if chunk.index >= 90 and not killed.is_set():
                    process.kill()
                    killed.set()

            ap_only = {"AP": interfaces["AP"]}
            with ServiceSet({"ecephys": [first, second]}, needs={SERVICE}, on_chunk=on_chunk) as services:
                path = convert(
                    services,
                    ap_only,
                    tmp_path / "failover.nwb",
                    METADATA,
                    window=2,
                    backend_configuration={"datasets": AP_CHUNKS},
                )
        finally:
            process.kill()
            process.wait()
        served_by_first = chunks_served(first_url) - before
    assert killed.is_set() and process.returncode != 0
    assert 90 < served_by_first < 180  # its own half, and what the second replica had not sent before it died
    with h5py.File(path, "r") as file, h5py.File(one_replica_file, "r") as expected:
        assert file[AP].id.get_num_chunks() == 180
        assert np.array_equal(file[AP][()], expected[AP][()])


def test_the_configuration_takes_an_address_or_a_list(tmp_path):
    config = load_config(
        write_config(
            tmp_path,
            {"lab-a": tmp_path},
            services={"ecephys": "nwbstream-ecephys:50051", "ophys": ["10.0.0.5:50051", "10.0.0.6:50051"]},
        )
    )
    assert config.services == {"ecephys": ("nwbstream-ecephys:50051",), "ophys": ("10.0.0.5:50051", "10.0.0.6:50051")}
    with pytest.raises(ConversionError, match="services"):
        load_config(write_config(tmp_path / "empty", {"lab-a": tmp_path}, services={"ophys": []}))


def test_over_tls_a_replica_found_by_name_is_checked_against_the_name(interfaces, monkeypatch, tmp_path):
    """The certificate names the Service (here localhost and 127.0.0.1), not each pod's address (127.0.0.2): an
    address resolved from a name is verified as that name."""
    pki = make_pki(tmp_path / "pki")
    tls = ("--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key))
    port = str(free_port())
    resolve_as(monkeypatch, "localhost", ["127.0.0.1", "127.0.0.2"])
    first = serving("ecephys", "--host", "127.0.0.1", "--port", port, *tls)
    second = serving("ecephys", "--host", "127.0.0.2", "--port", port, *tls)
    with (
        first,
        second,
        ServiceSet({"ecephys": f"localhost:{port}"}, needs={SERVICE}, tls=TLSFiles(ca=pki.ca)) as services,
    ):
        assert services.clients["ecephys"].addresses == [f"127.0.0.1:{port}", f"127.0.0.2:{port}"]  # both healthy
        lf = {"LF": interfaces["LF"]}
        path = convert(services, lf, tmp_path / "lf.nwb", METADATA, backend_configuration={"datasets": LF_CHUNKS})
    assert chunk_counts_of(path, LF) == 24


def test_the_conversion_service_spreads_a_job_over_the_configured_replicas(replicas, spikeglx_folder, tmp_path):
    (first, first_url), (second, second_url) = replicas
    before = [chunks_served(first_url), chunks_served(second_url)]
    config = write_config(tmp_path, {"lab-a": spikeglx_folder.parent}, services={"ecephys": [first, second]})
    source = {"folder_path": spikeglx_folder.name, "stream_id": "imec0.lf"}
    spec = spec_text({"lf": source}, SERVICE, backend_configuration={"datasets": LF_CHUNKS})
    with conversion_service(config) as server, ConversionClient(server.address, TOKENS["lab-a"]) as rig:
        (job,) = rig.submit(spec)
        assert wait_final(rig, job.id).state == pb.JOB_STATE_DONE
    assert [chunks_served(first_url) - before[0], chunks_served(second_url) - before[1]] == [12, 12]
