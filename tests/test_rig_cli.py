"""The rig's commands: the token, the server address and `serve coordinator`'s arguments, each mistake answered at
once with one line that says what to do; and what each command prints and returns, against a service of canned
jobs (the coordinator's own end-to-end tests are in test_conversion_service.py)."""

from __future__ import annotations

import socket
import sys
import time
import types
from concurrent import futures

import grpc
import pytest
from nwbstream.coordinator import rig
from nwbstream.coordinator.cli import main
from nwbstream.coordinator.server import client as client_module
from nwbstream.v1 import conversion_pb2 as pb
from nwbstream.v1 import conversion_pb2_grpc as pb_grpc

RIG_COMMANDS = [["jobs"], ["watch", "j1"], ["cancel", "j1"], ["fetch", "j1"], ["upload", "."], ["submit", "spec.yml"]]


@pytest.fixture
def spec(tmp_path, monkeypatch):
    """A spec file in the current folder (submit reads it before reaching the server)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yml").write_text("data_interfaces: {}\n")


def error_of(capsys, *argv: str) -> str:
    assert main(list(argv)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


@pytest.mark.parametrize("command", RIG_COMMANDS, ids=lambda command: command[0])
def test_no_token(capsys, monkeypatch, spec, command):
    monkeypatch.delenv("NWBSTREAM_TOKEN", raising=False)
    assert error_of(capsys, *command) == "nwbstream: error: no token: set NWBSTREAM_TOKEN or pass --token-file FILE\n"


def test_token_file(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("NWBSTREAM_TOKEN", "from-the-environment")
    (tmp_path / "token").write_text("  from-the-file\n")
    assert rig.token(tmp_path / "token") == "from-the-file"
    assert rig.token(None) == "from-the-environment"
    assert error_of(capsys, "jobs", "--token-file", str(tmp_path / "none")) == (
        f"nwbstream: error: {tmp_path / 'none'}: cannot read the token: No such file or directory\n"
    )
    (tmp_path / "empty").write_text("\n")
    assert error_of(capsys, "jobs", "--token-file", str(tmp_path / "empty")) == (
        f"nwbstream: error: {tmp_path / 'empty'}: empty; it should hold the lab's token\n"
    )


def test_missing_spec(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("NWBSTREAM_TOKEN", "t")
    assert error_of(capsys, "submit", str(tmp_path / "none.yml")) == (
        f"nwbstream: error: {tmp_path / 'none.yml'}: cannot read the spec: No such file or directory\n"
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", RIG_COMMANDS, ids=lambda command: command[0])
def test_server_down(capsys, monkeypatch, spec, command):
    monkeypatch.setenv("NWBSTREAM_TOKEN", "t")
    address = f"127.0.0.1:{closed_port()}"
    monkeypatch.setenv("NWBSTREAM_SERVER", address)  # the default for --server
    start = time.monotonic()
    error = error_of(capsys, *command)
    assert time.monotonic() - start < 3
    assert error.startswith(f"nwbstream: error: cannot reach {address}: ")
    assert "Connection refused" in error


def test_server_that_never_answers(capsys, monkeypatch):
    """A port that accepts connections but never speaks gRPC: refused after CONNECT_SECONDS, not minutes."""
    monkeypatch.setenv("NWBSTREAM_TOKEN", "t")
    monkeypatch.setattr(client_module, "CONNECT_SECONDS", 1.0)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        start = time.monotonic()
        error = error_of(capsys, "jobs", "--server", address)
        assert time.monotonic() - start < 3
    assert error == f"nwbstream: error: cannot reach {address}: no connection within 1 s\n"


def test_serve_coordinator(capsys, monkeypatch, tmp_path):
    served = []
    app = types.ModuleType("nwbstream.coordinator.server.app")
    app.serve = lambda path: served.append(path) or 0
    monkeypatch.setitem(sys.modules, "nwbstream.coordinator.server.app", app)
    assert main(["serve", "coordinator", "--config", str(tmp_path / "server.yml")]) == 0
    assert served == [tmp_path / "server.yml"]
    assert error_of(capsys, "serve", "coordinator") == (
        "nwbstream: error: serve coordinator: give --config FILE (the conversion service's configuration)\n"
    )
    assert error_of(capsys, "serve", "ecephys", "--config", "server.yml") == (
        "nwbstream: error: serve ecephys: --config is for `serve coordinator` only\n"
    )


def test_job_line():
    job = pb.Job(
        id="j1",
        state=pb.JOB_STATE_FAILED,
        session="exp/0",
        nwbfile_name="sub-1.nwb",
        bytes_done=250,
        bytes_total=1000,
        error="service ecephys unreachable:\n  connection refused",
    )
    assert rig.job_line(job) == "j1\tfailed\texp/0\tsub-1.nwb\t25%\tservice ecephys unreachable: connection refused"
    assert rig.job_line(pb.Job(id="j2", state=pb.JOB_STATE_QUEUED, session="exp/1", nwbfile_name="b.nwb")) == (
        "j2\tqueued\texp/1\tb.nwb\t-"
    )


class CannedService(pb_grpc.ConversionServiceServicer):
    """Answers with fixed jobs, after checking the token: what the commands print and return, without a coordinator."""

    JOBS = {
        "j1": [
            pb.Job(id="j1", state=pb.JOB_STATE_QUEUED, session="exp/0", nwbfile_name="a.nwb"),
            pb.Job(
                id="j1", state=pb.JOB_STATE_RUNNING, session="exp/0", nwbfile_name="a.nwb", bytes_done=1, bytes_total=2
            ),
            pb.Job(
                id="j1", state=pb.JOB_STATE_RUNNING, session="exp/0", nwbfile_name="a.nwb", bytes_done=1, bytes_total=2
            ),
            pb.Job(
                id="j1", state=pb.JOB_STATE_DONE, session="exp/0", nwbfile_name="a.nwb", bytes_done=2, bytes_total=2
            ),
        ],
        "j2": [
            pb.Job(id="j2", state=pb.JOB_STATE_RUNNING, session="exp/1", nwbfile_name="b.nwb"),
            pb.Job(id="j2", state=pb.JOB_STATE_FAILED, session="exp/1", nwbfile_name="b.nwb", error="service down"),
        ],
    }

    def __init__(self) -> None:
        self.submitted: list[pb.SubmitRequest] = []

    def _job(self, job_id: str, context) -> list[pb.Job]:
        if dict(context.invocation_metadata()).get("authorization") != "Bearer good":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "unknown token")
        if job_id not in self.JOBS:
            context.abort(grpc.StatusCode.NOT_FOUND, f"job {job_id} not found")
        return self.JOBS[job_id]

    def Submit(self, request, context):
        self._job("j1", context)
        self.submitted.append(request)
        return pb.SubmitResponse(jobs=[self.JOBS["j1"][0], self.JOBS["j2"][0]])

    def List(self, request, context):
        return pb.ListResponse(jobs=[self._job("j2", context)[-1], self._job("j1", context)[-1]])

    def Watch(self, request, context):
        yield from self._job(request.job_id, context)

    def Cancel(self, request, context):
        job = pb.Job()
        job.CopyFrom(self._job(request.job_id, context)[0])
        job.state = pb.JOB_STATE_CANCELLED
        return job


@pytest.fixture(scope="module")
def canned():
    service = CannedService()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pb_grpc.add_ConversionServiceServicer_to_server(service, server)
    service.address = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    server.start()
    yield service
    server.stop(grace=None)


@pytest.fixture
def good_token(monkeypatch, canned):
    monkeypatch.setenv("NWBSTREAM_TOKEN", "good")
    monkeypatch.setenv("NWBSTREAM_SERVER", canned.address)


def test_submit_prints_one_id_per_session(capsys, canned, good_token, spec):
    assert main(["submit", "spec.yml", "--stub", "--backend", "zarr"]) == 0
    assert capsys.readouterr().out == "j1\nj2\n"
    assert canned.submitted[-1] == pb.SubmitRequest(
        spec_yaml="data_interfaces: {}\n", spec_name="spec.yml", stub=True, backend="zarr"
    )


def test_submit_wait_follows_every_job(capsys, canned, good_token, spec):
    assert main(["submit", "spec.yml", "--wait"]) == 1  # j2 failed
    captured = capsys.readouterr()
    assert captured.out == "j1\nj2\n"
    assert captured.err.splitlines() == [
        "j1\tqueued\texp/0\ta.nwb\t-",
        "j1\trunning\texp/0\ta.nwb\t50%",
        "j1\tdone\texp/0\ta.nwb\t100%",
        "j2\trunning\texp/1\tb.nwb\t-",
        "j2\tfailed\texp/1\tb.nwb\t-\tservice down",
        "nwbstream: job j2 (exp/1) failed: service down",
    ]


def test_jobs_watch_cancel(capsys, canned, good_token):
    assert main(["jobs"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "j2\tfailed\texp/1\tb.nwb\t-\tservice down",
        "j1\tdone\texp/0\ta.nwb\t100%",
    ]
    assert main(["watch", "j1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "j1\tdone\texp/0\ta.nwb\t100%"
    assert main(["watch", "j2"]) == 1
    assert capsys.readouterr().err == "nwbstream: job j2 (exp/1) failed: service down\n"
    assert main(["cancel", "j1"]) == 0
    assert capsys.readouterr().out == "j1\tcancelled\texp/0\ta.nwb\t-\n"
    assert error_of(capsys, "watch", "nope") == "nwbstream: error: no job nope\n"


def test_a_wrong_token_is_reported(capsys, canned, monkeypatch, tmp_path):
    (tmp_path / "token").write_text("bad\n")
    assert error_of(capsys, "jobs", "--server", canned.address, "--token-file", str(tmp_path / "token")) == (
        f"nwbstream: error: the server {canned.address} refused the token (unknown token)\n"
    )
