"""Prometheus metrics, scraped over HTTP as Prometheus does: a real service's chunks and bytes served equal what
reached the coordinator (and what the NWB file stores), the coordinator's equal what it received, jobs are counted
by state when scraped, errors by kind; plaintext endpoints only on loopback, HTTPS with the TLS files."""

from __future__ import annotations

import ssl
import urllib.request

import h5py
import pytest
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server.metrics import ConversionMetrics, start_metrics_server
from nwbstream.coordinator.server.store.base import JobState
from nwbstream.coordinator.services import ServiceSet
from nwbstream.coordinator.tls import TLSFiles
from nwbstream.service.metrics import ServiceMetrics, serve_metrics
from prometheus_client.parser import text_string_to_metric_families

from .certificates import make_pki
from .conftest import START, convert
from .serving import free_port, serving

CHUNKED = {"datasets": {"ElectricalSeriesLFImec0/data": {"chunk_shape": [1000, 64]}}}  # several chunks each way


def scrape(url: str, context: ssl.SSLContext | None = None) -> dict[tuple[str, frozenset], float]:
    """Every sample of the endpoint: (name, labels) -> value."""
    with urllib.request.urlopen(url, timeout=10, context=context) as reply:
        text = reply.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def stored_chunk_bytes(path, dataset: str) -> tuple[int, int]:
    """(chunks, bytes) as the HDF5 file stores `dataset`."""
    with h5py.File(path, "r") as file:
        data = file[dataset]
        sizes = [data.id.get_chunk_info(i).size for i in range(data.id.get_num_chunks())]
    return len(sizes), sum(sizes)


@pytest.fixture(scope="module")
def metered_service():
    """The ecephys service with `--metrics` on loopback; yields its address and its metrics' URL."""
    port = free_port()
    with serving("ecephys", "--metrics", f"127.0.0.1:{port}") as address:
        yield address, f"http://127.0.0.1:{port}/metrics"


def test_counters_equal_what_went_through_a_conversion(tmp_path, metered_service, spikeglx_folder):
    address, service_url = metered_service
    before = scrape(service_url)
    jobs = {JobState.QUEUED: 2, JobState.DONE: 5}
    metrics = ConversionMetrics(lambda: jobs)
    received: list[tuple[int, int]] = []  # (encoded, raw) bytes of every chunk the coordinator got

    def on_chunk(chunk, seconds):
        received.append((len(chunk.data), chunk.raw_nbytes))
        metrics.observe_chunk(chunk, seconds)

    source = {"folder_path": str(spikeglx_folder), "stream_id": "imec0.lf"}
    interfaces = {"LF": ("SpikeGLXRecordingInterface", source)}
    with ServiceSet({"ecephys": address}, needs={"SpikeGLXRecordingInterface"}, on_chunk=on_chunk) as services:
        path = convert(services, interfaces, tmp_path / "lf.nwb", START, backend_configuration=CHUNKED)
    service = scrape(service_url)
    coordinator = scrape(f"http://127.0.0.1:{start_metrics_server(metrics, '127.0.0.1:0')}/metrics")

    n_chunks, stored = stored_chunk_bytes(path, "acquisition/ElectricalSeriesLFImec0/data")
    assert len(received) == n_chunks > 1
    assert sum(encoded for encoded, _ in received) == stored  # the file keeps the chunks as the service sent them
    ecephys = frozenset({("modality", "ecephys")})

    def served(name: str) -> float:
        return service[(name, ecephys)] - before.get((name, ecephys), 0.0)

    assert served("nwbstream_service_chunks_served_total") == n_chunks
    assert served("nwbstream_service_bytes_served_total") == stored
    assert served("nwbstream_service_chunk_seconds_count") == n_chunks
    assert coordinator[("nwbstream_chunks_converted_total", frozenset())] == n_chunks
    assert coordinator[("nwbstream_bytes_converted_total", frozenset())] == sum(raw for _, raw in received)
    assert n_chunks == 4 * 6  # 3750 samples x 384 channels in chunks of 1000 x 64
    assert sum(raw for _, raw in received) == n_chunks * 1000 * 64 * 2  # int16, edge chunks padded to full size
    assert coordinator[("nwbstream_chunk_seconds_count", frozenset())] == n_chunks
    by_state = {
        dict(labels)["state"]: value for (name, labels), value in coordinator.items() if name == "nwbstream_jobs"
    }
    assert by_state == {state.value: jobs.get(state, 0) for state in JobState}
    jobs[JobState.QUEUED] = 0  # read again at each scrape
    coordinator = scrape(f"http://127.0.0.1:{start_metrics_server(metrics, '127.0.0.1:0')}/metrics")
    assert coordinator[("nwbstream_jobs", frozenset({("state", "queued")}))] == 0


def test_service_errors_are_counted_by_method_and_status(tmp_path, metered_service):
    address, service_url = metered_service
    missing = {"folder_path": str(tmp_path / "missing"), "stream_id": "imec0.lf"}
    key = (
        "nwbstream_service_errors_total",
        frozenset({("modality", "ecephys"), ("method", "OpenSource"), ("code", "NOT_FOUND")}),
    )
    before = scrape(service_url).get(key, 0.0)
    with ServiceSet({"ecephys": address}, needs={"SpikeGLXRecordingInterface"}) as services:
        client = services.client_for("SpikeGLXRecordingInterface")
        for _ in range(2):
            with pytest.raises(ConversionError, match="missing"):
                client.open_source("SpikeGLXRecordingInterface", missing, stub=False)
    assert scrape(service_url)[key] - before == 2


def test_coordinator_errors_are_counted_by_kind():
    metrics = ConversionMetrics(dict)
    for kind in ("UNAVAILABLE", "UNAVAILABLE", "INVALID_ARGUMENT"):
        metrics.record_error(kind)
    samples = scrape(f"http://127.0.0.1:{start_metrics_server(metrics, 'localhost:0')}/metrics")
    assert samples[("nwbstream_errors_total", frozenset({("kind", "UNAVAILABLE")}))] == 2
    assert samples[("nwbstream_errors_total", frozenset({("kind", "INVALID_ARGUMENT")}))] == 1


def test_plaintext_metrics_only_on_loopback():
    with pytest.raises(ConversionError, match=r"^metrics 0\.0\.0\.0:0: plaintext is allowed on loopback only"):
        start_metrics_server(ConversionMetrics(dict), "0.0.0.0:0")
    with pytest.raises(ValueError, match=r"^metrics at 0\.0\.0\.0:0: plaintext is allowed on loopback only"):
        serve_metrics(ServiceMetrics("test").registry, "0.0.0.0:0")
    with pytest.raises(ConversionError, match="^metrics: 9100: expected HOST:PORT"):
        start_metrics_server(ConversionMetrics(dict), "9100")


def test_metrics_over_https_with_the_tls_files(tmp_path):
    pki = make_pki(tmp_path / "pki")
    metrics = ConversionMetrics(dict)
    metrics.record_chunk(1000, 0.01)
    port = start_metrics_server(metrics, "127.0.0.1:0", TLSFiles(cert=pki.server_cert, key=pki.server_key))
    trusting = ssl.create_default_context(cafile=str(pki.ca))
    samples = scrape(f"https://localhost:{port}/metrics", trusting)
    assert samples[("nwbstream_bytes_converted_total", frozenset())] == 1000
    with pytest.raises(OSError):  # refused or reset: the endpoint speaks TLS only
        scrape(f"http://localhost:{port}/metrics")
