"""The job store's one interface: every replica of the coordinator reads and claims jobs through it.

A job is claimed by one replica for a lease (seconds); the replica renews the lease while it runs the job. A claim
that is not renewed in time (the replica died) is taken over by the next replica that asks for work, and every
later write of the old replica is refused (its renew/update/finish return False), so no job runs twice to its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    VALIDATING = "validating"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
ACTIVE_STATES = frozenset({JobState.RUNNING, JobState.VALIDATING})


@dataclass(frozen=True)
class NewJob:
    """One session of a submitted spec."""

    lab: str
    session: str  # "experiment/index", as spec.py names it
    nwbfile_name: str
    spec_yaml: str
    spec_name: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # overwrite, stub, backend


@dataclass(frozen=True)
class JobRecord:
    id: str
    lab: str
    state: JobState
    session: str
    nwbfile_name: str
    spec_yaml: str
    spec_name: str
    options: dict[str, Any]
    created_at: float
    started_at: float | None
    finished_at: float | None
    bytes_done: int
    bytes_total: int
    attempts: int
    error: str
    output: str
    report: dict[str, Any] | None
    dandi: dict[str, Any] | None
    cancel_requested: bool
    claimed_by: str | None
    claim_expires: float | None
    not_before: float
    version: int  # bumped by every change: a watcher sees a change by it


class JobStore(Protocol):
    """Thread-safe: the gRPC handlers and the workers of one replica share one store."""

    def add(self, jobs: Sequence[NewJob]) -> list[JobRecord]:
        """Queues every job in one transaction (all or none), with new ids; returns them in order."""
        ...

    def get(self, job_id: str, lab: str | None = None) -> JobRecord | None:
        """The job, or None when it does not exist or (with `lab`) belongs to another lab."""
        ...

    def list(self, lab: str, limit: int = 100) -> list[JobRecord]:
        """The lab's jobs, newest first."""
        ...

    def claim(
        self, replica: str, lease: float, max_active: int, max_active_per_lab: int, max_attempts: int
    ) -> JobRecord | None:
        """Atomically takes one job for `replica`, oldest first: a queued job whose `not_before` has passed, or an
        active job whose claim expired (its replica died). The job becomes running, attempts + 1, claimed until now
        + `lease`. Skips labs with `max_active_per_lab` active (unexpired) jobs, and takes none when `max_active`
        jobs are active across all replicas. An expired job that already ran `max_attempts` times is failed instead
        ("its coordinator stopped N times while running it"). None: nothing to do now."""
        ...

    def renew(self, job_id: str, replica: str, lease: float) -> bool:
        """Extends the claim; False when `replica` no longer holds it (taken over, or the job ended)."""
        ...

    def update(self, job_id: str, replica: str, **fields: Any) -> bool:
        """Sets fields of a job `replica` holds (state, bytes_done, bytes_total, output, report, dandi, error, ...);
        False when it no longer holds it."""
        ...

    def finish(self, job_id: str, replica: str, state: JobState, error: str = "", **fields: Any) -> bool:
        """Ends a held job (done, failed or cancelled): finished_at set, claim released."""
        ...

    def requeue(self, job_id: str, replica: str, error: str, not_before: float) -> bool:
        """A transient failure: the held job goes back to queued, claim released, not claimed before `not_before`,
        `error` kept as the last failure."""
        ...

    def request_cancel(self, job_id: str, lab: str) -> JobRecord | None:
        """A queued job is cancelled at once; an active one gets `cancel_requested` (its runner stops it); a
        finished one is left as it is. None when the lab has no such job."""
        ...

    def release(self, replica: str) -> int:
        """Expires every claim `replica` holds (a restarted replica of the same id takes its jobs back at once)."""
        ...

    def counts(self) -> dict[JobState, int]:
        """Jobs by state, every lab (metrics)."""
        ...

    def close(self) -> None: ...


def open_store(url: str) -> JobStore:
    """`sqlite:///relative.db`, `sqlite:////absolute/path.db` or `postgresql://user:password@host:port/db`; the
    schema is migrated to the newest version before the store is returned."""
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteJobStore

        return SQLiteJobStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresJobStore

        return PostgresJobStore(url)
    raise ValueError(f"store {url!r}: expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DB")
