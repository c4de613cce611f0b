"""Finding the modality services: running ones by address, or (embedded mode) local processes we start.

Embedded mode starts installed services as `<its python> -m <module>` on unix sockets, waits for their health,
and stops them at the end. It starts only those a conversion needs when the registry knows which service offers
each needed interface (an idle service costs 100-150 MB and its start-up); otherwise, every one. A service is
installed either in an environment of its own, named in the registry (`registry.py`, written by `make env`), or
beside the coordinator (entry point group `nwbstream.services`, read from package metadata); the registry wins.
The coordinator never imports a service's code.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import subprocess
import sys
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path

from .client import ChunkObserver, InterfaceEntry, ServiceClient
from .endpoints import Addresses, resolve_endpoints
from .errors import ConversionError, ServiceUnavailable
from .registry import ENTRY_POINT_GROUP, REGISTRY, InstalledService, read_registry
from .tls import TLSFiles

START_TIMEOUT = 120.0


def installed_services(registry: Path = REGISTRY) -> dict[str, InstalledService]:
    """modality -> how to start it: as the registry says, else (modalities it does not name) with this interpreter
    when the service is installed beside the coordinator."""
    beside = {
        ep.name: InstalledService(sys.executable, ep.value.split(":")[0])
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    }
    return beside | read_registry(registry)


def _die_with_parent() -> None:
    """Linux: the service gets SIGTERM when the coordinator dies, however it dies (no orphaned services)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class ServiceSet(contextlib.AbstractContextManager):
    """The services one conversion talks to, and which service offers which interface."""

    def __init__(
        self,
        addresses: Addresses | None = None,
        needs: Collection[str] | None = None,
        start_timeout: float = START_TIMEOUT,
        embedded: Collection[str] | None = None,
        tls: TLSFiles | None = None,
        on_chunk: ChunkObserver | None = None,
    ) -> None:
        """`addresses`: modality -> a running service's address, or its replicas' (a list, or a name that resolves
        to several addresses: resolved here, at each start); `needs`: the interfaces to serve (None: every service);
        `embedded`: the installed modalities to start here (None: every one `addresses` does not name); `tls`: how
        to reach services over the network (those on unix sockets, as embedded ones are, are reached in plaintext);
        `on_chunk`: sees every chunk any service sends (metrics)."""
        self._addresses: dict[str, str | Sequence[str]] = dict(addresses or {})
        self._needs = set(needs) if needs is not None else None
        self._start_timeout = start_timeout
        self._embedded = embedded
        self._tls = tls
        self._on_chunk = on_chunk
        self._processes: list[tuple[str, subprocess.Popen]] = []
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.clients: dict[str, ServiceClient] = {}
        self.interfaces: dict[str, InterfaceEntry] = {}

    def __enter__(self) -> ServiceSet:
        try:
            self._spawn_local()
            self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def addresses(self) -> dict[str, str | Sequence[str]]:
        """modality -> the address(es) it answers on, as given (embedded ones on their unix sockets)."""
        return dict(self._addresses)

    def client_for(self, interface_name: str) -> ServiceClient:
        entry = self.interfaces.get(interface_name)
        if entry is None:
            known = ", ".join(sorted(self.interfaces)) or "none"
            raise ConversionError(f"unknown interface {interface_name!r}; the services offer: {known}")
        return self.clients[entry.modality]

    def _spawn_local(self) -> None:
        installed = installed_services()
        local = {
            m: service
            for m, service in installed.items()
            if m not in self._addresses and (self._embedded is None or m in self._embedded)
        }
        known = {name for service in installed.values() for name in service.interfaces}
        if self._needs is not None and self._needs <= known:  # else (a stale registry, a typo): start them all
            local = {m: service for m, service in local.items() if self._needs & set(service.interfaces)}
        if local:
            self._tmp = tempfile.TemporaryDirectory(prefix="nwbstream-")
        for modality, service in local.items():
            socket = Path(self._tmp.name) / f"{modality}.sock"
            with open(Path(self._tmp.name) / f"{modality}.log", "w") as log:
                process = subprocess.Popen(
                    service.command("--address", f"unix:{socket}"),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent,
                )
            self._processes.append((modality, process))
            self._addresses[modality] = f"unix:{socket}"

    def _connect(self) -> None:
        for modality, addresses in self._addresses.items():
            endpoints = resolve_endpoints(addresses)
            on_unix = all(endpoint.address.startswith("unix:") for endpoint in endpoints)
            client = ServiceClient(endpoints, modality, None if on_unix else self._tls, self._on_chunk)
            self.clients[modality] = client
            try:
                client.wait_healthy(self._start_timeout)
            except ConversionError:
                raise ServiceUnavailable(self._startup_failure(modality, client.addresses)) from None
            for entry in client.list_interfaces():
                self.interfaces[entry.name] = entry

    def _startup_failure(self, modality: str, addresses: list[str]) -> str:
        for name, process in self._processes:
            if name == modality and process.poll() is not None:
                log = Path(self._tmp.name) / f"{modality}.log"
                tail = log.read_text(errors="replace").strip().splitlines()[-5:]
                return f"the {modality} service exited (code {process.returncode}): " + " | ".join(tail)
        where = ", ".join(addresses)
        return f"the {modality} service at {where} did not become healthy in {self._start_timeout:.0f} s"

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        for _, process in self._processes:
            if process.poll() is None:
                process.terminate()
        for _, process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
