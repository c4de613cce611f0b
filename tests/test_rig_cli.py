"""The rig's commands without a conversion service: the token, the server address and `serve coordinator`'s
arguments, each mistake answered at once with one line that says what to do."""

from __future__ import annotations

import socket
import sys
import time
import types

import pytest
from nwbstream.coordinator import rig
from nwbstream.coordinator.cli import main
from nwbstream.coordinator.server import client as client_module
from nwbstream.v1 import conversion_pb2 as pb

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
