"""The conversion service's configuration file (`serve coordinator --config FILE`), checked as a whole at start.

listen: 127.0.0.1:50051
store: sqlite:////var/lib/nwbstream/jobs.db        # or postgresql://user:password@host:5432/db
outputs: /var/lib/nwbstream/outputs                 # or s3://bucket/prefix (AWS_* environment)
labs:
  lab-a: {token_sha256: <hex>, data_root: /data/lab-a}
services: {}                                        # modality: host:port, or a list (replicas); not listed: embedded
# optional, with their defaults:
tls: {cert: null, key: null, client_ca: null}       # the coordinator's own; required off loopback
services_tls: {ca: null, cert: null, key: null}     # to reach the services (cert + key: mutual TLS)
limits: {jobs: 2, jobs_per_lab: 1, spec_bytes: 1048576, upload_bytes: 1099511627776, list: 100}
retry: {attempts: 3, backoff_seconds: 5.0}
patience: {keepalive: 5, keepalive_timeout: 5, retry_budget: 30, connect_timeout: 5, chunk_timeout: 60}  # seconds
lease_seconds: 30
replica: <host name>:<port>                         # a restarted replica of the same id resumes its jobs at once
metrics: null                                       # host:port of the Prometheus endpoint
web: null                                           # host:port of the web page (HTTPS with tls.cert off loopback)
staging: null                                       # local folder for outputs bound for S3 (default: a temp one)
dandi: {instance: dandi, api_key_env: DANDI_API_KEY}
runner: {kind: inprocess}                           # or kubernetes: each job in a Kubernetes Job (RunnerConfig)

The environment variable NWBSTREAM_STORE, when set, replaces `store:` (a password kept in a Secret).
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nwbstream.v1.transport import is_loopback

from ..client import Patience
from ..endpoints import address_list
from ..errors import ConversionError
from ..spec import checked_yaml
from ..tls import TLSFiles

__all__ = ["CONFIG_SCHEMA", "Lab", "Limits", "RunnerConfig", "ServerConfig", "TLSFiles", "is_loopback", "load_config"]

_HOST_PORT = {"type": "string", "pattern": r"^\[?[A-Za-z0-9_.:\-]+\]?:\d{1,5}$"}
_PATH_OR_NULL = {"type": ["string", "null"]}
_POSITIVE = {"type": "integer", "minimum": 1}
_SECONDS = {"type": "number", "exclusiveMinimum": 0}
_PATIENCE_SECONDS = {**_SECONDS, "maximum": 86400}  # a day: finite, as gRPC's options and the timers need
_STORE = {"type": "string", "pattern": "^(sqlite:///|postgres(ql)?://)"}
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
_OBJECTS = {"type": "array", "items": {"type": "object"}}
_RUNNER_SCHEMA = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {
        "kind": {"enum": ["inprocess", "kubernetes"]},
        "namespace": {"type": ["string", "null"]},
        "image": {"type": "string", "minLength": 1},
        "image_pull_policy": {"enum": ["Always", "IfNotPresent", "Never"]},
        "service_account": {"type": ["string", "null"]},
        "config_map": {"type": "string", "minLength": 1},
        "env_from_secrets": _NAMES,
        "volumes": _OBJECTS,
        "volume_mounts": _OBJECTS,
        "resources": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"requests": {"type": "object"}, "limits": {"type": "object"}},
        },
        "node_selector": {"type": "object", "additionalProperties": {"type": "string"}},
        "tolerations": _OBJECTS,
        "backoff_limit": {"type": "integer", "minimum": 0},
        "ttl_seconds_after_finished": {"type": ["integer", "null"], "minimum": 0},
        "active_deadline_seconds": {"type": ["integer", "null"], "minimum": 1},
    },
}
CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["listen", "outputs", "labs"],  # and `store`, unless NWBSTREAM_STORE is set
    "additionalProperties": False,
    "properties": {
        "listen": _HOST_PORT,
        "store": _STORE,
        "outputs": {"type": "string", "minLength": 1},
        "labs": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"},
            "additionalProperties": {
                "type": "object",
                "required": ["token_sha256", "data_root"],
                "additionalProperties": False,
                "properties": {
                    "token_sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                    "data_root": {"type": "string", "minLength": 1},
                },
            },
        },
        "services": {  # a host name that resolves to several addresses counts as several replicas too
            "type": ["object", "null"],
            "additionalProperties": {"anyOf": [_HOST_PORT, {"type": "array", "items": _HOST_PORT, "minItems": 1}]},
        },
        "tls": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"cert": _PATH_OR_NULL, "key": _PATH_OR_NULL, "client_ca": _PATH_OR_NULL},
        },
        "services_tls": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"ca": _PATH_OR_NULL, "cert": _PATH_OR_NULL, "key": _PATH_OR_NULL},
        },
        "limits": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {
                "jobs": _POSITIVE,
                "jobs_per_lab": _POSITIVE,
                "workers": _POSITIVE,
                "spec_bytes": _POSITIVE,
                "upload_bytes": _POSITIVE,
                "list": _POSITIVE,
            },
        },
        "retry": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"attempts": _POSITIVE, "backoff_seconds": {"type": "number", "minimum": 0}},
        },
        "patience": {  # client.Patience: how long a silent or unreachable modality service is waited for
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {
                name: _PATIENCE_SECONDS
                for name in ("keepalive", "keepalive_timeout", "retry_budget", "connect_timeout", "chunk_timeout")
            },
        },
        "lease_seconds": _SECONDS,
        "replica": {"type": "string", "minLength": 1},
        "metrics": {"anyOf": [_HOST_PORT, {"type": "null"}]},
        "web": {"anyOf": [_HOST_PORT, {"type": "null"}]},
        "staging": _PATH_OR_NULL,
        "dandi": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"instance": {"type": "string"}, "api_key_env": {"type": "string"}},
        },
        "runner": _RUNNER_SCHEMA,
    },
}
STORE_ENV = "NWBSTREAM_STORE"


@dataclass(frozen=True)
class Lab:
    name: str
    token_sha256: str  # lower-case hex
    data_root: Path  # resolved


@dataclass(frozen=True)
class Limits:
    jobs: int = 2  # active jobs across every replica
    jobs_per_lab: int = 1
    workers: int = 2  # jobs this replica runs at once
    spec_bytes: int = 2**20
    upload_bytes: int = 2**40
    list: int = 100


@dataclass(frozen=True)
class RunnerConfig:
    """Who runs a claimed job: this process (inprocess), or a Kubernetes Job per job (the rest of the keys)."""

    kind: str = "inprocess"
    namespace: str | None = None  # None: the namespace of the coordinator's own pod
    image: str = ""
    image_pull_policy: str = "IfNotPresent"
    service_account: str | None = None
    config_map: str = "nwbstream-coordinator"  # holds coordinator.yml, mounted at /etc/nwbstream
    env_from_secrets: tuple[str, ...] = ()
    volumes: tuple[dict[str, Any], ...] = ()
    volume_mounts: tuple[dict[str, Any], ...] = ()
    resources: dict[str, Any] = field(
        default_factory=lambda: {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "8Gi"}}
    )
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    backoff_limit: int = 0
    ttl_seconds_after_finished: int | None = 3600
    active_deadline_seconds: int | None = None


@dataclass(frozen=True)
class ServerConfig:
    listen: str
    store: str
    outputs: str
    labs: dict[str, Lab]
    services: dict[str, tuple[str, ...]] = field(default_factory=dict)  # modality -> its replicas' addresses
    tls: TLSFiles = TLSFiles()
    services_tls: TLSFiles = TLSFiles()
    limits: Limits = Limits()
    retry_attempts: int = 3
    retry_backoff: float = 5.0
    patience: Patience = Patience()
    lease_seconds: float = 30.0
    replica: str = ""
    metrics: str | None = None
    web: str | None = None
    staging: Path | None = None
    dandi_instance: str = "dandi"
    dandi_api_key_env: str = "DANDI_API_KEY"
    runner: RunnerConfig = RunnerConfig()

    @property
    def outputs_on_s3(self) -> bool:
        return self.outputs.startswith("s3://")


def load_config(path: Path) -> ServerConfig:
    """The checked configuration; a ConversionError names the file and the key at fault."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConversionError(f"{path}: cannot read the configuration: {error.strerror}") from None
    raw = checked_yaml(text, str(path), CONFIG_SCHEMA)
    base = path.parent

    def local(value: str | None) -> Path | None:
        return None if value is None else (base / value).resolve()

    tls = raw.get("tls") or {}
    services_tls = raw.get("services_tls") or {}
    retry = raw.get("retry") or {}
    dandi = raw.get("dandi") or {}
    outputs = raw["outputs"] if raw["outputs"].startswith("s3://") else str(local(raw["outputs"]))
    config = ServerConfig(
        listen=raw["listen"],
        store=_store(path, raw),
        outputs=outputs,
        labs={
            name: Lab(name, lab["token_sha256"].lower(), local(lab["data_root"]))  # type: ignore[arg-type]
            for name, lab in raw["labs"].items()
        },
        services={modality: tuple(address_list(given)) for modality, given in (raw.get("services") or {}).items()},
        tls=TLSFiles(cert=local(tls.get("cert")), key=local(tls.get("key")), ca=local(tls.get("client_ca"))),
        services_tls=TLSFiles(
            cert=local(services_tls.get("cert")), key=local(services_tls.get("key")), ca=local(services_tls.get("ca"))
        ),
        limits=Limits(**(raw.get("limits") or {})),
        retry_attempts=retry.get("attempts", 3),
        retry_backoff=float(retry.get("backoff_seconds", 5.0)),
        patience=Patience(**{name: float(value) for name, value in (raw.get("patience") or {}).items()}),
        lease_seconds=float(raw.get("lease_seconds", 30.0)),
        replica=raw.get("replica") or f"{socket.gethostname()}:{raw['listen'].rsplit(':', 1)[1]}",
        metrics=raw.get("metrics"),
        web=raw.get("web"),
        staging=local(raw.get("staging")),
        dandi_instance=dandi.get("instance", "dandi"),
        dandi_api_key_env=dandi.get("api_key_env", "DANDI_API_KEY"),
        runner=_runner(raw.get("runner") or {}),
    )
    _check(path, config)
    return config


def _store(path: Path, raw: dict[str, Any]) -> str:
    """$NWBSTREAM_STORE, else `store:`."""
    url = os.environ.get(STORE_ENV)
    if not url:
        if "store" not in raw:
            raise ConversionError(f"{path}: no store: give `store:` or set ${STORE_ENV}")
        return raw["store"]
    if not re.match(_STORE["pattern"], url):
        raise ConversionError(f"${STORE_ENV}: expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DB")
    return url


def _runner(raw: dict[str, Any]) -> RunnerConfig:
    sequences = ("env_from_secrets", "volumes", "volume_mounts", "tolerations")
    return RunnerConfig(**{key: tuple(value) if key in sequences else value for key, value in raw.items()})


def _check(path: Path, config: ServerConfig) -> None:
    if not is_loopback(config.listen) and not (config.tls.cert and config.tls.key):
        raise ConversionError(
            f"{path}: listen {config.listen}: plaintext is allowed on loopback only; give tls.cert and tls.key"
        )
    if config.web and not is_loopback(config.web) and not config.tls.enabled:
        raise ConversionError(
            f"{path}: web {config.web}: plaintext is allowed on loopback only; give tls.cert and tls.key"
        )
    if bool(config.tls.cert) != bool(config.tls.key):
        raise ConversionError(f"{path}: tls: give both cert and key")
    if bool(config.services_tls.cert) != bool(config.services_tls.key):
        raise ConversionError(f"{path}: services_tls: give both cert and key (mutual TLS) or neither")
    for name, files in (("tls", config.tls), ("services_tls", config.services_tls)):
        for pem in (files.cert, files.key, files.ca):
            if pem is not None and not pem.is_file():
                raise ConversionError(f"{path}: {name}: {pem}: no such file")
    for lab in config.labs.values():
        if not lab.data_root.is_dir():
            raise ConversionError(f"{path}: labs/{lab.name}/data_root: {lab.data_root} is not a folder")
    if config.runner.kind == "kubernetes" and not config.runner.image:
        raise ConversionError(f"{path}: runner: kind kubernetes needs `image` (the coordinator's image for the Jobs)")
    hashes = [lab.token_sha256 for lab in config.labs.values()]
    if len(set(hashes)) != len(hashes):
        raise ConversionError(f"{path}: labs: two labs share one token")
