"""Runs the jobs this replica claims, and records how each ended.

Each worker thread claims one job at a time from the store (which enforces the limits across every replica), holds
it with a lease renewed in the background, hands it to the executor the configuration chooses, and records the
outcome: done, failed (bad input, a file that does not validate, a service still unreachable after the configured
attempts, a Kubernetes Job that died: never retried), cancelled, or back to the queue with a growing pause (a
service out of reach). The executor runs the job in this process (inprocess.py) or in a Kubernetes Job
(kubernetes_jobs.py), whose pod runs it in-process under this replica's claim (`nwbstream run-job`).

A replica told to stop gives its in-process jobs back to the queue and leaves its Kubernetes Jobs running (their
pods hold the claim); one that dies loses its lease, and another replica (or itself, restarted) takes its jobs over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import ConversionError, ServiceUnavailable
from ..services import ServiceSet
from .config import ServerConfig
from .logs import job_context
from .metrics import ConversionMetrics
from .outcomes import Cancelled, ClaimLost, JobFailed, Stopping, ValidationFailed
from .paths import hide_root
from .store import JobRecord, JobState, JobStore
from .store.base import ACTIVE_STATES

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5  # how often an idle worker asks for work

ServicesFor = Callable[[Collection[str] | None], ServiceSet]  # the interfaces a job needs (None: every one)


class Lease(threading.Thread):
    """Renews a claim every third of its length; `lost` once the store refuses (the job was taken over or ended)."""

    def __init__(self, store: JobStore, job_id: str, replica: str, seconds: float) -> None:
        super().__init__(name=f"lease {job_id}", daemon=True)
        self._store, self._job_id, self._replica, self._seconds = store, job_id, replica, seconds
        self._done = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self._done.wait(self._seconds / 3):
            if not self._store.renew(self._job_id, self._replica, self._seconds):
                self.lost = True
                return

    def end(self) -> None:
        self._done.set()
        self.join()


class Hold:
    """One claim of a job (its replica and attempt), as the executor running it sees it."""

    def __init__(self, store: JobStore, replica: str, job: JobRecord, lease: Lease, stopping: threading.Event):
        self._store, self._replica, self._job, self._lease, self._stopping = store, replica, job, lease, stopping

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleeps, or less when this process is told to stop; True then."""
        return self._stopping.wait(seconds)

    def current(self) -> JobRecord | None:
        """The job as stored, or None once this claim no longer holds it: it ended, went back to the queue, or was
        claimed again (the attempt tells two claims of one replica apart)."""
        job = self._store.get(self._job.id)
        held = (
            job is not None
            and job.state in ACTIVE_STATES
            and job.claimed_by == self._replica
            and job.attempts == self._job.attempts
        )
        return job if held else None

    def update(self, **fields: Any) -> None:
        if not self._store.update(self._job.id, self._replica, **fields):
            raise ClaimLost()

    def check(self) -> None:
        """Raises how the job must stop now, if it must: claim lost, cancelled (before stopping: a cancelled job is
        not given back) or this process stopping."""
        if self._lease.lost:
            raise ClaimLost()
        current = self.current()
        if current is None:
            raise ClaimLost()
        if current.cancel_requested:
            raise Cancelled()
        if self.stopping:
            raise Stopping()


@dataclass(frozen=True)
class Done:
    output: str  # where the file was published
    report: dict[str, Any]  # the validation report
    dandi: dict[str, Any] | None  # the DANDI outcome, when the spec asks for one


class Executor(Protocol):
    """Runs one claimed job; the Runner holds the claim and records what `run` returns or raises."""

    outlives_process: bool  # its jobs go on after this process stops: a restart must not take them back at once

    def run(self, job: JobRecord, hold: Hold) -> Done | None:
        """Done, or None when the outcome is not this process's to record (the Job's pod recorded it, another
        claim holds the job, or the job goes on after this process stops); or raises an exception of outcomes.py,
        ServiceUnavailable or ConversionError."""
        ...


def executor_for(config: ServerConfig, outputs: Any, services_for: ServicesFor) -> Executor:
    """The executor `runner.kind` names."""
    if config.runner.kind == "kubernetes":
        from .kubernetes_jobs import KubernetesJobs  # the Kubernetes client loads only when it is used

        return KubernetesJobs(config)
    from .inprocess import InProcess

    return InProcess(config, outputs, services_for)


class Runner:
    def __init__(self, config: ServerConfig, store: JobStore, executor: Executor, metrics: ConversionMetrics):
        self._config = config
        self._metrics = metrics
        self._store = store
        self._executor = executor
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def start(self) -> None:
        """Claims and runs jobs in `limits.workers` threads until `stop`."""
        if not self._executor.outlives_process:
            self._store.release(self._config.replica)  # this replica restarted: its jobs are taken back at once
        for i in range(self._config.limits.workers):
            worker = threading.Thread(target=self._work, name=f"worker {i}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self, timeout: float = 60.0) -> None:
        """Stops claiming; in-process jobs stop at their next chunk and go back to the queue, Kubernetes Jobs go on."""
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout)

    def _work(self) -> None:
        config = self._config
        while not self._stop.is_set():
            try:
                job = self._store.claim(
                    config.replica,
                    config.lease_seconds,
                    config.limits.jobs,
                    config.limits.jobs_per_lab,
                    config.retry_attempts,
                )
            except Exception:  # the store is out of reach: try again, do not die
                log.exception("cannot claim a job")
                job = None
            if job is None:
                self._stop.wait(POLL_SECONDS)
                continue
            with job_context(job.id):
                self.run(job)

    def run(self, job: JobRecord) -> None:
        """Runs a job this replica holds to its outcome, renewing the claim meanwhile, and records the outcome."""
        config, store = self._config, self._store
        lease = Lease(store, job.id, config.replica, config.lease_seconds)
        lease.start()
        log.info("job %s: running %s (attempt %d)", job.id, job.session, job.attempts)
        try:
            done = self._executor.run(job, Hold(store, config.replica, job, lease, self._stop))
            if done is not None:
                fields = {"output": done.output, "report": done.report, "dandi": done.dandi}
                store.finish(job.id, config.replica, JobState.DONE, **fields)
                log.info("job %s: done, %s", job.id, done.output)
        except Cancelled:
            store.finish(job.id, config.replica, JobState.CANCELLED, error="cancelled")
            log.info("job %s: cancelled", job.id)
        except ClaimLost:
            log.warning("job %s: taken over by another claim; stopped here", job.id)
        except Stopping:
            store.requeue(job.id, config.replica, "the coordinator stopped while running it", time.time())
        except ServiceUnavailable as error:
            self._metrics.record_error("service_unavailable")
            if job.attempts >= config.retry_attempts:
                self._fail(job, f"{error} (gave up after {job.attempts} attempts)")
            else:
                pause = config.retry_backoff * 2 ** (job.attempts - 1)
                store.requeue(job.id, config.replica, self._words(job, error), time.time() + pause)
                log.warning("job %s: %s; again in %.0f s", job.id, error, pause)
        except ValidationFailed as failure:
            self._metrics.record_error("invalid_output")
            self._fail(job, failure, report=failure.report)
        except JobFailed as error:
            self._metrics.record_error("job_failed")
            self._fail(job, error)
        except ConversionError as error:
            self._metrics.record_error("bad_input")
            self._fail(job, error)
        except Exception as error:
            log.exception("job %s: internal error", job.id)
            self._metrics.record_error("internal")
            self._fail(job, f"internal error: {type(error).__name__}: {error}")
        finally:
            lease.end()

    def _words(self, job: JobRecord, error: object) -> str:
        """What the lab reads: the error without the absolute location of its data root."""
        return hide_root(str(error), self._config.labs[job.lab].data_root)

    def _fail(self, job: JobRecord, error: object, **fields: Any) -> None:
        reason = self._words(job, error)
        self._store.finish(job.id, self._config.replica, JobState.FAILED, error=reason, **fields)
        log.error("job %s: failed: %s", job.id, reason)
