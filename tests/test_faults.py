"""Faults, with real processes, real gRPC and real files: a service killed mid-stream (restarted in embedded mode,
reconnected to when someone else restarts it), a service that hangs (stopped, or stuck inside a reader: the
service's test-only NWBSTREAM_TEST_STALL_FILE), a wrong service address, and a coordinator killed mid-write. Every
converted file is compared, dataset by dataset, with an uninterrupted run's."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import psutil
import pytest
from nwbstream.coordinator.client import LostCall, Patience
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server.client import ConversionClient
from nwbstream.coordinator.server.config import load_config
from nwbstream.coordinator.services import FOLDER_PREFIX, OWNER, ServiceSet, hold, remove_stale_folders
from nwbstream.v1 import conversion_pb2 as pb
from nwbstream_samples.ophys import write_tiff_stack
from PIL import Image

from .conftest import META_ONLY, START, TESTDATA, convert, wait_for, write_spikeglx_from_meta
from .conversion_server import TOKENS, write_config
from .conversion_server import serving as conversion_service
from .fixtures.general import generate as general_images
from .fixtures.icephys import bruker
from .serving import free_port, serve_command
from .test_cli import CLI, run, write_spec
from .test_conversion_service import spec_text, wait_final

SPIKEGLX = "SpikeGLXRecordingInterface"
METADATA = {**START, "NWBFile": {**START["NWBFile"], "identifier": "faults"}}  # equal files: one identifier
# Found hung in about a second when stopped, in CHUNK_TIMEOUT when stuck in a reader (a restarted service's first
# chunk comes after it has loaded its readers and opened the source again: seconds on a loaded machine).
CHUNK_TIMEOUT = 8.0
QUICK = Patience(keepalive=0.5, keepalive_timeout=0.5, connect_timeout=1.0, chunk_timeout=CHUNK_TIMEOUT)
STALL_FILE_ENV = "NWBSTREAM_TEST_STALL_FILE"  # nwbstream.service.stall: a service's reads wait while this file exists


class Killer:
    """An on_chunk hook: once armed and `after` more chunks arrived, sends `signum` to a modality's embedded service,
    or (`stall_file`) creates the file its reads wait on; times what follows (when the stream was found broken, when
    the next chunk arrived). A stall is let go once noticed, so that the restarted service does not stall too."""

    def __init__(self, modality: str, signum: int = signal.SIGKILL, stall_file: Path | None = None) -> None:
        self.modality = modality
        self.signum = signum
        self.stall_file = stall_file
        self.services: ServiceSet | None = None
        self.after: int | None = None
        self.count = 0
        self.pid: int | None = None
        self.sent_at: float | None = None
        self.noticed_at: float | None = None
        self.resumed_at: float | None = None
        self._lock = threading.Lock()

    def arm(self, services: ServiceSet, after: int) -> None:
        self.services, self.after, self.count = services, after, 0
        client = services.clients[self.modality]
        restart = client.on_lost

        def noticed(lost: LostCall) -> None:
            self.noticed_at = self.noticed_at or time.monotonic()
            if self.stall_file is not None:
                self.stall_file.unlink(missing_ok=True)
            if restart is not None:
                restart(lost)

        client.on_lost = noticed

    def __call__(self, chunk, seconds: float) -> None:
        with self._lock:
            if self.after is None:
                return
            self.count += 1
            if self.noticed_at is not None and self.resumed_at is None:
                self.resumed_at = time.monotonic()
            if self.count == self.after:
                self.pid = self.services.process(self.modality).pid
                if self.stall_file is not None:
                    self.stall_file.touch()
                else:
                    os.kill(self.pid, self.signum)
                self.sent_at = time.monotonic()


def datasets(path: Path) -> dict[str, np.ndarray]:
    """Every dataset's values (references as the paths they point to), but the file's creation time."""
    found: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as file:

        def visit(name: str, item) -> None:
            if not isinstance(item, h5py.Dataset) or name == "file_create_date":
                return
            values = np.asarray(item[()])
            if item.dtype.kind == "O" and h5py.check_ref_dtype(item.dtype):
                values = np.array([file[r].name for r in values.ravel()])
            elif item.dtype.names:  # a table's rows, references among their fields
                values = np.array(
                    [
                        tuple(file[v].name if isinstance(v, h5py.Reference) else v for v in row)
                        for row in values.ravel()
                    ],
                    dtype=object,
                )
            found[name] = values

        file.visititems(visit)
    return found


def assert_same_values(path: Path, expected: Path) -> None:
    got, want = datasets(path), datasets(expected)
    assert sorted(got) == sorted(want)
    for name, values in want.items():
        assert got[name].dtype == values.dtype and got[name].shape == values.shape, name
        assert np.array_equal(got[name], values, equal_nan=values.dtype.kind in "fc"), name


def bulk_chunks(path: Path) -> int:
    """How many chunks the file's chunked datasets store."""
    counts = []
    with h5py.File(path, "r") as file:
        file.visititems(
            lambda _, item: (
                counts.append(item.id.get_num_chunks()) if isinstance(item, h5py.Dataset) and item.chunks else None
            )
        )
    return sum(counts)


def ophys_movie(folder: Path) -> tuple[str, dict]:
    movie = write_tiff_stack(folder / "movie.tif", n_frames=300, size=64, seed=3)
    return "TiffImagingInterface", {"file_path": str(movie), "sampling_frequency": 30.0}


def behavior_video(folder: Path) -> tuple[str, dict]:
    return "InternalVideoInterface", {"file_path": str(TESTDATA / "behavior" / "video" / "vid.avi")}


def icephys_cycles(folder: Path) -> tuple[str, dict]:
    """PrairieView cycles long enough to be streamed in chunks (the test ABF files are small enough to travel
    whole in OpenSource: 4 MiB or less per series)."""
    cycles = folder / "cycles"
    cycles.mkdir()
    samples, bruker.SAMPLES = bruker.SAMPLES, 250_000
    try:
        paths = bruker.write_cycles(cycles)
    finally:
        bruker.SAMPLES = samples
    return "BrukerVoltageRecordingInterface", {"file_paths": paths, "stimulus_type": "steps"}


def general_pictures(folder: Path) -> tuple[str, dict]:
    """The real images, and more made from them, so that the kill falls between two of many."""
    pictures = folder / "pictures"
    pictures.mkdir()
    for index, real in enumerate(sorted(general_images.REAL_IMAGES.glob("*.png")) * 4):
        with Image.open(real) as image:
            image.rotate(90 * index, expand=True).save(pictures / f"img{index:04d}.png")
    return "ImageInterface", {"folder_path": str(pictures)}


def ecephys_recording(folder: Path) -> tuple[str, dict]:
    return SPIKEGLX, {"folder_path": str(folder), "stream_id": "imec0.ap"}


SERIES = "CurrentClampSeriesCell1001Primary"  # the icephys cycles' series (its datasets: recordings/series/dataset)
# modality -> the source, and the chunk shapes that give it many chunks
SOURCES: dict[str, tuple[Callable[[Path], tuple[str, dict]], dict]] = {
    "ecephys": (ecephys_recording, {"ElectricalSeriesAPImec0/data": {"chunk_shape": [1000, 96]}}),
    "ophys": (ophys_movie, {"MicroscopySeries/data": {"chunk_shape": [10, 64, 64]}}),
    "behavior": (behavior_video, {}),
    "icephys": (
        icephys_cycles,
        {f"{SERIES}/{SERIES}/{name}": {"chunk_shape": [50_000]} for name in ("data", "timestamps")},
    ),
    "general": (general_pictures, {}),
}


@pytest.mark.parametrize("modality", sorted(SOURCES))
def test_a_service_killed_mid_stream_is_restarted_and_the_file_is_complete(modality, spikeglx_folder, tmp_path):
    source, chunk_shapes = SOURCES[modality]
    folder = spikeglx_folder if modality == "ecephys" else tmp_path
    interfaces = {"Source": source(folder)}
    options = {"metadata": METADATA, "backend_configuration": {"datasets": chunk_shapes}, "window": 2}
    killer = Killer(modality)
    with ServiceSet(needs={interfaces["Source"][0]}, embedded={modality}, on_chunk=killer) as services:
        expected = convert(services, interfaces, tmp_path / "uninterrupted.nwb", **options)
        n_chunks = bulk_chunks(expected)
        assert n_chunks >= 8, f"{modality}: too few chunks to kill a service between two of them"
        # in the first quarter: later, gRPC's buffers may already hold every chunk left, and nothing is read again
        after = random.Random(modality).randint(1, n_chunks // 4)
        killer.arm(services, after)
        path = convert(services, interfaces, tmp_path / "killed.nwb", **options)
        replaced = services.process(modality)
    assert killer.pid is not None and replaced.pid != killer.pid
    assert_same_values(path, expected)
    noticed, resumed = killer.noticed_at - killer.sent_at, killer.resumed_at - killer.sent_at
    print(f"{modality}: killed after chunk {after} of {n_chunks}; noticed {noticed:.3f} s, resumed {resumed:.2f} s")
    assert noticed < 1.0


def stop_service(service: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not stopped in 20 s: cleanup, which must not hang a failed test (that a
    service continued after a stop stops at once is checked on its own, below)."""
    service.terminate()
    try:
        service.wait(timeout=20)
    except subprocess.TimeoutExpired:
        service.kill()
        service.wait(timeout=20)


def listening(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """The service started, once it says it listens."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert "listening on" in process.stdout.readline()
    process.stdout.close()
    return process


def test_a_remote_service_restarted_by_someone_else_is_reconnected_to(spikeglx_folder, tmp_path):
    """One address, no replica to fail over to: the read retries with backoff, within its budget, until the
    service is back on its address."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    command = serve_command("ecephys", "--port", str(port))
    interfaces = {"AP": ecephys_recording(spikeglx_folder)}
    options = {"metadata": METADATA, "backend_configuration": {"datasets": SOURCES["ecephys"][1]}, "window": 2}
    processes = [listening(command)]
    restarted = threading.Event()
    times: list[float] = []  # when the service was killed, when the next chunk came

    def kill_and_restart(chunk, seconds: float) -> None:
        if restarted.is_set() and len(times) == 1:
            times.append(time.monotonic())
        if chunk.index == 60 and not restarted.is_set():
            restarted.set()
            times.append(time.monotonic())
            processes[0].kill()
            processes[0].wait()
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))  # not waited for: the read retries

    try:
        with ServiceSet({"ecephys": address}, needs={SPIKEGLX}, patience=Patience(retry_budget=60)) as services:
            expected = convert(services, interfaces, tmp_path / "uninterrupted.nwb", **options)
            services.clients["ecephys"].on_chunk = kill_and_restart
            path = convert(services, interfaces, tmp_path / "reconnected.nwb", **options)
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert restarted.is_set() and processes[0].returncode == -signal.SIGKILL
    print(f"remote service killed and started again: reading again {times[1] - times[0]:.2f} s after the kill")
    assert_same_values(path, expected)


@pytest.mark.parametrize("hang", ["stopped", "stuck in a reader"])
def test_a_hung_embedded_service_is_killed_and_restarted_and_the_file_is_complete(
    hang, spikeglx_folder, tmp_path, monkeypatch
):
    """Stopped (SIGSTOP: found by keepalive, then by a health check that gets no answer), or stuck inside a reader
    while it still answers (found by the chunk timeout): the service is killed and started again, and the read
    resumes there."""
    stall = tmp_path / "stall"
    monkeypatch.setenv(STALL_FILE_ENV, str(stall))  # the embedded services inherit it
    interfaces = {"AP": ecephys_recording(spikeglx_folder)}
    options = {"metadata": METADATA, "backend_configuration": {"datasets": SOURCES["ecephys"][1]}, "window": 2}
    killer = Killer("ecephys", signal.SIGSTOP) if hang == "stopped" else Killer("ecephys", stall_file=stall)
    with ServiceSet(needs={SPIKEGLX}, embedded={"ecephys"}, on_chunk=killer, patience=QUICK) as services:
        expected = convert(services, interfaces, tmp_path / "uninterrupted.nwb", **options)
        killer.arm(services, 20)
        path = convert(services, interfaces, tmp_path / "hung.nwb", **options)
        replaced = services.process("ecephys")
    assert killer.pid is not None and replaced.pid != killer.pid
    with pytest.raises(ProcessLookupError):  # the hung one was killed, and reaped
        os.kill(killer.pid, 0)
    assert_same_values(path, expected)
    noticed, resumed = killer.noticed_at - killer.sent_at, killer.resumed_at - killer.sent_at
    print(f"embedded service {hang}: noticed {noticed:.2f} s, reading again {resumed:.2f} s after the hang")
    assert noticed < (2.5 if hang == "stopped" else CHUNK_TIMEOUT + 2.5)


def stalling_service(port: int, stall: Path) -> subprocess.Popen:
    """An ecephys service on loopback whose reads wait while `stall` exists."""
    return listening(serve_command("ecephys", "--port", str(port)), {**os.environ, STALL_FILE_ENV: str(stall)})


def test_a_stream_stuck_in_a_reader_is_cancelled_and_read_again(spikeglx_folder, tmp_path, caplog):
    """A remote service stuck inside a reader keeps answering keepalive pings; the chunk timeout cancels its silent
    stream, which is read again from the next chunk (stalling again while the reader is stuck) until it comes back."""
    stall = tmp_path / "stall"
    port = free_port()
    service = stalling_service(port, stall)
    interfaces = {"AP": ecephys_recording(spikeglx_folder)}
    options = {"metadata": METADATA, "backend_configuration": {"datasets": SOURCES["ecephys"][1]}, "window": 2}
    times: list[float] = []  # when the reader got stuck, when it was let go

    def stick_for_a_while(chunk, seconds: float) -> None:
        if chunk.index == 60 and not times:
            stall.touch()
            times.append(time.monotonic())
            threading.Timer(2.5, lambda: (times.append(time.monotonic()), stall.unlink())).start()

    patience = Patience(chunk_timeout=1.0, retry_budget=30.0)
    try:
        with ServiceSet({"ecephys": f"127.0.0.1:{port}"}, needs={SPIKEGLX}, patience=patience) as services:
            expected = convert(services, interfaces, tmp_path / "uninterrupted.nwb", **options)
            services.clients["ecephys"].on_chunk = stick_for_a_while
            with caplog.at_level("WARNING", logger="nwbstream.coordinator.client"):
                path = convert(services, interfaces, tmp_path / "stuck.nwb", **options)
    finally:
        stall.unlink(missing_ok=True)
        stop_service(service)
    cancelled = [r.getMessage() for r in caplog.records if "sent nothing for 1 s; reading again" in r.getMessage()]
    print(f"stuck reader for {times[1] - times[0]:.2f} s: {len(cancelled)} streams cancelled: {cancelled[0]}")
    assert 1 <= len(cancelled) <= 3 and f"ecephys service at 127.0.0.1:{port}" in cancelled[0]
    assert_same_values(path, expected)


def test_the_cli_fails_on_a_reader_stuck_for_longer_than_the_retry_budget(tmp_path):
    """`nwbstream convert --chunk-timeout 1 --retry-budget 2`, a remote service's reader stuck mid-write: it exits 1
    within seconds, naming the service and the dataset, and leaves no file; the service, let go, stops at once."""
    spec, _ = long_session(tmp_path)
    stall = tmp_path / "stall"
    port = free_port()
    service = stalling_service(port, stall)
    out = tmp_path / "out"
    options = ["--chunk-timeout", "1", "--retry-budget", "2", "--window", "1", "--no-progress"]
    command = [*CLI, "convert", str(spec), "--output-folder", str(out), "--service", f"ecephys=127.0.0.1:{port}"]
    coordinator = subprocess.Popen([*command, *options], stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: any(p.stat().st_size > 0 for p in out.glob(".session.*.partial.nwb")), timeout=120)
        stall.touch()
        stuck = time.monotonic()
        _, stderr = coordinator.communicate(timeout=60)
        failed = time.monotonic() - stuck
    finally:
        coordinator.kill()
        stall.unlink(missing_ok=True)
    service.terminate()
    service.wait(timeout=10)
    print(f"CLI, reader stuck: exit {coordinator.returncode} {failed:.2f} s after the stall: {stderr.strip()}")
    assert coordinator.returncode == 1 and "Traceback" not in stderr
    said = f"ElectricalSeriesAPImec0/data: ecephys service at 127.0.0.1:{port} is unavailable: sent nothing for 1 s ("
    assert said in stderr
    assert failed < 15 and list(out.iterdir()) == []


def test_a_service_continued_after_a_stop_stops_at_once_on_sigterm():
    """SIGCONT then SIGTERM: the kernel may hand the SIGTERM to a thread other than the main one, which Python's
    signal handling (main thread only) must not miss (it did, about two times in three, before the main thread
    waited with a timeout)."""
    for _ in range(3):
        service = listening(serve_command("ecephys", "--port", str(free_port())))
        time.sleep(0.5)  # its threads started (the readers' preload among them)
        service.send_signal(signal.SIGSTOP)
        time.sleep(0.3)
        service.send_signal(signal.SIGCONT)
        service.terminate()
        began = time.monotonic()
        try:
            service.wait(timeout=10)
        finally:
            service.kill()
        took = time.monotonic() - began
        print(f"continued, then SIGTERM: stopped in {took:.2f} s, exit {service.returncode}")
        assert service.returncode == 0 and took < 6


def test_the_cli_fails_on_a_hung_remote_service_as_its_options_say(tmp_path):
    """`nwbstream convert --keepalive 0.5 --retry-budget 2` with a remote service stopped mid-write: it exits 1
    within seconds, naming the service and the dataset, and leaves no file."""
    spec, _ = long_session(tmp_path)
    port = free_port()
    service = listening(serve_command("ecephys", "--port", str(port)))
    out = tmp_path / "out"
    options = ["--keepalive", "0.5", "--retry-budget", "2", "--window", "1", "--no-progress"]
    command = [*CLI, "convert", str(spec), "--output-folder", str(out), "--service", f"ecephys=127.0.0.1:{port}"]
    coordinator = subprocess.Popen([*command, *options], stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: any(p.stat().st_size > 0 for p in out.glob(".session.*.partial.nwb")), timeout=120)
        service.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        _, stderr = coordinator.communicate(timeout=60)
        failed = time.monotonic() - stopped
    finally:
        coordinator.kill()
        service.send_signal(signal.SIGCONT)
        stop_service(service)
    print(f"CLI, hung remote service: exit {coordinator.returncode} {failed:.2f} s after SIGSTOP: {stderr.strip()}")
    assert coordinator.returncode == 1 and "Traceback" not in stderr
    assert f"ElectricalSeriesAPImec0/data: ecephys service at 127.0.0.1:{port} is unavailable" in stderr
    assert failed < 15 and list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("address", "says"),
    [("127.0.0.1:1", "127.0.0.1:1: connection refused"), ("no-such-host.invalid:50051", "cannot resolve")],
)
def test_a_wrong_service_address_is_refused_at_once(address, says, spikeglx_folder, tmp_path):
    spec = write_spec(
        tmp_path / "spec.yml",
        {"out.nwb": {"source_data": {"AP": ecephys_recording(spikeglx_folder)[1]}, "metadata": START}},
        {"AP": SPIKEGLX},
    )
    began = time.monotonic()
    result = run("convert", str(spec), "--service", f"ecephys={address}", "--output-folder", str(tmp_path))
    took = time.monotonic() - began
    print(f"--service ecephys={address}: refused in {took:.2f} s: {result.stderr.strip()}")
    assert result.returncode == 1 and says in result.stderr and "ecephys" in result.stderr
    assert took < 20  # the CLI's own start-up (imports) included


def long_session(tmp_path: Path) -> tuple[Path, Path]:
    """A spec of one SpikeGLX session long enough (400 chunks) to be caught mid-write, and its folder."""
    session = tmp_path / "session"
    session.mkdir()
    write_spikeglx_from_meta(session, META_ONLY / "sample3B_version202304.ap.meta", "imec0.ap", 100_000, seed=5)
    spec = write_spec(
        tmp_path / "spec.yml",
        {"session.nwb": {"source_data": {"AP": ecephys_recording(session)[1]}, "metadata": START}},
        {"AP": SPIKEGLX},
        backend_configuration={"datasets": SOURCES["ecephys"][1]},
    )
    return spec, session


def test_a_killed_coordinator_leaves_no_file_and_its_partial_and_services_folder_go_on_the_next_run(tmp_path):
    """The partial output, and the embedded services' folder (sockets, logs) in $TMPDIR, that a SIGKILLed
    coordinator leaves are removed by the next run; the next run leaves no folder of its own."""
    spec, _ = long_session(tmp_path)
    out = tmp_path / "out"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    command = [*CLI, "convert", str(spec), "--output-folder", str(out), "--window", "1", "--no-progress"]
    coordinator = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        assert wait_for(lambda: any(p.stat().st_size > 0 for p in out.glob(".session.*.partial.nwb")), timeout=120)
        (partial,) = out.glob(".session.*.partial.nwb")
        coordinator.kill()
        coordinator.wait()
    finally:
        coordinator.kill()
    assert partial.exists() and not (out / "session.nwb").exists()
    assert f".{coordinator.pid}." in partial.name
    (left,) = temporary.iterdir()
    assert left.name.startswith(FOLDER_PREFIX) and (left / "ecephys.log").exists()
    result = subprocess.run(
        [*CLI, "convert", str(spec), "--output-folder", str(out)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert f"{left}: removing what a coordinator killed before it stopped its services left" in result.stderr
    assert not partial.exists() and sorted(p.name for p in out.iterdir()) == ["session.nwb"]
    assert list(temporary.iterdir()) == []
    with h5py.File(out / "session.nwb", "r") as file:
        assert file["acquisition/ElectricalSeriesAPImec0/data"].id.get_num_chunks() == 400


def test_a_running_coordinators_services_folder_is_left_alone(tmp_path, monkeypatch):
    """Only a folder whose lock file is there and free is removed: not one whose lock is held (here by this process,
    through another open file, as a running coordinator holds its own), nor one without the file."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    held, stale, unknown = (tmp_path / f"{FOLDER_PREFIX}{name}" for name in ("held", "stale", "unknown"))
    for folder in (held, stale, unknown):
        folder.mkdir()
    (stale / OWNER).touch()
    with hold(held):
        remove_stale_folders()
        assert sorted(tmp_path.iterdir()) == [held, unknown]
    remove_stale_folders()  # its holder gone
    assert sorted(tmp_path.iterdir()) == [unknown]


def test_a_running_writers_partial_is_left_alone(tmp_path):
    from nwbstream.coordinator.writing import remove_stale_partials

    host = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()
    running = tmp_path / f".s.{host}.{os.getpid()}.0123abcd.partial.nwb"
    stale = tmp_path / f".s.{host}.{dead.pid}.0123abcd.partial.nwb"
    elsewhere = tmp_path / f".s.other-host.{dead.pid}.0123abcd.partial.nwb"
    other_output = tmp_path / f".t.{host}.{dead.pid}.0123abcd.partial.nwb"
    for path in (running, stale, elsewhere, other_output):
        path.write_bytes(b"")
    remove_stale_partials(tmp_path / "s.nwb")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (running, elsewhere, other_output))


def test_the_conversion_services_patience_is_read_from_its_configuration(tmp_path):
    given = {"keepalive": 2, "keepalive_timeout": 3, "retry_budget": 40, "connect_timeout": 4, "chunk_timeout": 90}
    assert load_config(write_config(tmp_path / "given", {"lab-a": tmp_path}, patience=given)).patience == Patience(
        **given
    )
    assert load_config(write_config(tmp_path / "default", {"lab-a": tmp_path})).patience == Patience()
    wrongs = ({"chunk_timeout": 0}, {"keepalive": float("inf")}, {"retry_budget": "long"}, {"chunk_timeout_s": 5})
    for wrong in wrongs:
        with pytest.raises(ConversionError, match="patience"):
            load_config(write_config(tmp_path / "wrong", {"lab-a": tmp_path}, patience=wrong))


def test_the_conversion_service_restarts_an_embedded_service_stuck_in_a_reader(tmp_path, monkeypatch):
    """`patience: {chunk_timeout: ...}` in its configuration: the job's stream, stuck from its first chunk, is
    cancelled after the chunk timeout, the embedded service killed and started again, and the job done at its first
    attempt."""
    stall = tmp_path / "stall"
    stall.touch()
    monkeypatch.setenv(STALL_FILE_ENV, str(stall))  # the coordinator's embedded services inherit it
    root = tmp_path / "lab-b"
    (root / "long").mkdir(parents=True)
    write_spikeglx_from_meta(root / "long", META_ONLY / "sample3B_version202304.ap.meta", "imec0.ap", 30_000, seed=3)
    config = write_config(tmp_path / "coordinator", {"lab-b": root}, patience={"chunk_timeout": CHUNK_TIMEOUT})
    source = {"folder_path": "long", "stream_id": "imec0.ap"}
    with conversion_service(config) as server, ConversionClient(server.address, TOKENS["lab-b"]) as rig:
        (stuck,) = [child for child in embedded_services(server.process.pid) if "nwbstream.ecephys" in child[1]]
        (job,) = rig.submit(spec_text({"stuck": source}, interface=SPIKEGLX))
        submitted = time.monotonic()
        assert wait_for(lambda: not psutil.pid_exists(stuck[0]), timeout=CHUNK_TIMEOUT + 60)
        killed = time.monotonic() - submitted
        stall.unlink()
        ended = wait_final(rig, job.id)
        restarted = [child for child in embedded_services(server.process.pid) if "nwbstream.ecephys" in child[1]]
    print(f"conversion service, service stuck in a reader: killed {killed:.1f} s after the submission")
    assert ended.state == pb.JOB_STATE_DONE, ended.error
    assert ended.attempts == 1 and ended.bytes_done == ended.bytes_total
    assert len(restarted) == 1 and restarted[0][0] != stuck[0]
    assert f"the ecephys service sent nothing for {CHUNK_TIMEOUT:g} s: killing it" in server.log_text()


def embedded_services(pid: int) -> list[tuple[int, str]]:
    """The processes a coordinator started: (pid, command line)."""
    return [(child.pid, " ".join(child.cmdline())) for child in psutil.Process(pid).children(recursive=True)]
