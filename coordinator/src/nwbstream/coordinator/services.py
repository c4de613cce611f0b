"""Finding the modality services: running ones by address, or (embedded mode) local processes we start.

Embedded mode starts installed services as `<its python> -m <module>` on unix sockets, waits for their health,
restarts one that dies or hangs during a conversion (on the same socket: the broken read then resumes there), and
stops them at the end. It starts only those a conversion needs when the registry knows which service offers
each needed interface (an idle service costs 100-150 MB and its start-up); otherwise, every one. Their sockets and
logs are in a temporary folder that this process holds a lock on; one whose lock is free (a killed coordinator's)
is removed by the next to start services. A service is installed either in an environment of its own, named in
the registry (`registry.py`, written by `make env`), or beside the coordinator (entry point group
`nwbstream.services`, read from package metadata); the registry wins.
The coordinator never imports a service's code.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from .client import DEFAULT_PATIENCE, ChunkObserver, InterfaceEntry, LostCall, Patience, ServiceClient
from .endpoints import Addresses, refusal, resolve_endpoints
from .errors import ConversionError, ServiceUnavailable
from .registry import ENTRY_POINT_GROUP, REGISTRY, InstalledService, read_registry
from .tls import TLSFiles

START_TIMEOUT = 120.0
DEATH_GRACE = 0.5  # seconds a service whose stream broke has to be seen exited before it is taken as alive
ANSWER_TIMEOUT = 2.0  # seconds a live service whose stream broke has to answer a health check, else it is hung
FOLDER_PREFIX = "nwbstream-"  # the embedded services' folder in $TMPDIR: short, as a socket's path is 107 bytes at most
OWNER = ".owner"  # in that folder, locked (flock) by the process that made it for as long as that process runs
log = logging.getLogger(__name__)


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
        patience: Patience = DEFAULT_PATIENCE,
        starter: ServiceSet | None = None,
    ) -> None:
        """`addresses`: modality -> a running service's address, or its replicas' (a list, or a name that resolves
        to several addresses: resolved here, at each start); `needs`: the interfaces to serve (None: every service);
        `embedded`: the installed modalities to start here (None: every one `addresses` does not name); `tls`: how
        to reach services over the network (those on unix sockets, as embedded ones are, are reached in plaintext);
        `on_chunk`: sees every chunk any service sends (metrics); `patience`: how long a silent or unreachable service
        is waited for during a conversion (client.Patience); `starter`: the long-lived set that started embedded
        services this one reaches by address (the conversion service's): it restarts one whose process died."""
        self._addresses: dict[str, str | Sequence[str]] = dict(addresses or {})
        self._needs = set(needs) if needs is not None else None
        self._start_timeout = start_timeout
        self._embedded = embedded
        self._tls = tls
        self._on_chunk = on_chunk
        self._patience = patience
        self._starter_set = starter
        self._processes: list[tuple[str, subprocess.Popen]] = []
        self._started: dict[str, float] = {}  # modality -> time.monotonic() when its current process was started
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._owner: IO[str] | None = None  # holds the lock on the folder
        self._commands: dict[str, list[str]] = {}
        self._restarting = threading.Lock()
        # PR_SET_PDEATHSIG fires when the thread that started a service ends: every start runs in this one thread,
        # which lives as long as the set (a restart is asked for by a chunk stream's short-lived thread).
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="service-starter")
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

    def process(self, modality: str) -> subprocess.Popen | None:
        """The embedded service's current process (None when it runs elsewhere)."""
        return next((process for name, process in self._processes if name == modality), None)

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
            remove_stale_folders()
            self._tmp = tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX)
            self._owner = hold(Path(self._tmp.name))
        for modality, service in local.items():
            address = f"unix:{Path(self._tmp.name) / f'{modality}.sock'}"
            self._commands[modality] = service.command("--address", address)
            self._processes.append((modality, self._start(modality, "w")))
            self._addresses[modality] = address

    def _start(self, modality: str, log_mode: str) -> subprocess.Popen:
        def start() -> subprocess.Popen:
            with open(Path(self._tmp.name) / f"{modality}.log", log_mode) as log:
                return subprocess.Popen(
                    self._commands[modality], stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
                )

        self._started[modality] = time.monotonic()
        return self._starter.submit(start).result()

    def revive(self) -> None:
        """Restarts every embedded service whose process has died: a long-lived set (the conversion service's) calls
        it before each job."""
        with self._restarting:
            for modality, process in list(self._processes):
                if process.poll() is not None:
                    log.warning("the %s service died (exit code %s): starting it again", modality, process.returncode)
                    self._restart(modality)

    def _recover(self, modality: str, lost: LostCall) -> None:
        """After a call to an embedded service broke (client.py): starts the service again on its socket if its
        process died, or is alive but hung (it does not answer a health check, or the call stalled: stuck inside a
        reader), killing it first; the call is then made again there. Several calls may break at once: the first
        restarts, and the others find a process started after their call was made, which they leave alone."""
        with self._restarting:
            process = self.process(modality)
            if process is None or self._started[modality] > lost.began:
                return
            try:  # a stream breaks as its process dies: give the exit a moment to be seen
                process.wait(timeout=DEATH_GRACE)
                log.warning("the %s service died (exit code %s): starting it again", modality, process.returncode)
            except subprocess.TimeoutExpired:
                if lost.stalled:
                    why = f"sent nothing for {self._patience.chunk_timeout:g} s"
                elif self._answers(modality):
                    return  # a passing break: the call is simply made again
                else:
                    why = f"does not answer in {ANSWER_TIMEOUT:g} s"
                log.warning("the %s service %s: killing it and starting it again", modality, why)
                process.kill()
                process.wait()
            self._restart(modality)

    def _answers(self, modality: str) -> bool:
        probe = ServiceClient(str(self._addresses[modality]), modality, patience=self._patience)
        try:
            probe.wait_healthy(ANSWER_TIMEOUT)
            return True
        except ServiceUnavailable:
            return False
        finally:
            probe.close()

    def _restart(self, modality: str) -> None:
        """Starts the embedded service again on its socket (its process has exited) and waits for its health."""
        index = next(i for i, (name, _) in enumerate(self._processes) if name == modality)
        Path(self._addresses[modality].removeprefix("unix:")).unlink(missing_ok=True)
        self._processes[index] = (modality, self._start(modality, "a"))
        probe = ServiceClient(str(self._addresses[modality]), modality, patience=self._patience)
        try:
            probe.wait_healthy(self._start_timeout)
        finally:
            probe.close()

    def _connect(self) -> None:
        for modality, addresses in self._addresses.items():
            try:
                endpoints = resolve_endpoints(addresses)
            except ServiceUnavailable as error:
                raise ServiceUnavailable(f"the {modality} service cannot be reached: {error}") from None
            owner = next((o for o in (self, self._starter_set) if o is not None and modality in o._commands), None)
            embedded = owner is not None
            if not embedded:
                refusals = [refusal(endpoint.address) for endpoint in endpoints]
                if all(refusals):  # a wrong address says so now, not after the health checks time out
                    raise ServiceUnavailable(f"the {modality} service cannot be reached: {'; '.join(refusals)}")
            on_unix = all(endpoint.address.startswith("unix:") for endpoint in endpoints)
            client = ServiceClient(
                endpoints,
                modality,
                None if on_unix else self._tls,
                self._on_chunk,
                self._patience,
                on_lost=(lambda lost, m=modality, o=owner: o._recover(m, lost)) if owner is not None else None,
            )
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
        self._starter.shutdown()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        if self._owner is not None:
            self._owner.close()
            self._owner = None


def hold(folder: Path) -> IO[str]:
    """Locks `folder` as this process's for as long as the returned file stays open: the lock goes with the
    process, however it ends. The lock file appears under its name already locked, so no other start takes the
    folder for a stale one meanwhile."""
    making = folder / f"{OWNER}.new"
    owner = open(making, "w")  # noqa: SIM115  # open for as long as the folder is in use
    fcntl.flock(owner, fcntl.LOCK_EX)
    making.rename(folder / OWNER)
    return owner


def remove_stale_folders() -> None:
    """Removes the embedded services' folders (sockets, logs) in $TMPDIR whose lock is free: a coordinator killed
    (SIGKILL) cannot remove its own. A folder without the lock file is not one of these, and is left."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            with open(folder / OWNER) as owner:
                fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
                log.warning("%s: removing what a coordinator killed before it stopped its services left", folder)
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # no lock file (not ours), its lock held (a running coordinator's), another user's
            continue
