"""Runs the jobs this replica claims: convert one session, validate the file, publish it, record the outcome.

Each worker thread claims one job at a time from the store (which enforces the limits across every replica), holds
it with a lease renewed in the background, and ends it in one of three ways: done (validated and published), failed
(bad input, a file that does not validate, a service still unreachable after the configured attempts: never retried)
or cancelled. A service out of reach sends the job back to the queue with a growing pause. A replica told to stop
gives its running jobs back to the queue; one that dies loses its lease, and another replica (or itself, restarted)
takes them over.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from ..converter import Converter
from ..dandi import organize_for_dandiset
from ..errors import ConversionError, ServiceUnavailable
from ..metadata import merge_metadata
from ..provenance import provenance_in_background
from ..services import ServiceSet
from ..spec import SessionJob, Spec, parse_spec
from .config import ServerConfig
from .logs import job_context
from .metrics import ConversionMetrics
from .paths import confine_spec, hide_root
from .store import JobRecord, JobState, JobStore

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5  # how often an idle worker asks for work
REPORT_SECONDS = 0.5  # how often a running job's progress is written and its cancel flag read

ServicesFor = Callable[[Collection[str]], ServiceSet]


class Cancelled(Exception):
    """The lab cancelled the job."""


class ClaimLost(Exception):
    """Another replica took the job over (this one's lease ran out): stop without writing anything."""


class Stopping(Exception):
    """This replica is shutting down: the job goes back to the queue."""


def job_spec(config: ServerConfig, job: JobRecord) -> tuple[Spec, SessionJob]:
    """The job's spec, its paths confined to the lab's data root, and its session."""
    root = config.labs[job.lab].data_root
    spec = parse_spec(job.spec_yaml, job.spec_name or "spec", root)
    confine_spec(spec, root)
    for session in spec.sessions:
        if session.name == job.session:
            return spec, session
    raise ConversionError(f"{job.spec_name or 'spec'}: no session {job.session}")


class Lease(threading.Thread):
    """Renews a claim every third of its length; `lost` once the store refuses (the job was taken over)."""

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


class Runner:
    def __init__(
        self,
        config: ServerConfig,
        store: JobStore,
        outputs: Any,
        services_for: ServicesFor,
        metrics: ConversionMetrics,
    ) -> None:
        """`services_for(interface names)` gives a connected ServiceSet for one job (closed by the runner)."""
        self._config = config
        self._metrics = metrics
        self._store = store
        self._outputs = outputs
        self._services_for = services_for
        self._stop = threading.Event()
        self._workers = [
            threading.Thread(target=self._work, name=f"worker {i}", daemon=True) for i in range(config.limits.workers)
        ]

    def start(self) -> None:
        for worker in self._workers:
            worker.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stops claiming; running jobs stop at their next chunk and go back to the queue."""
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
                self._run(job)

    def _run(self, job: JobRecord) -> None:
        config, store = self._config, self._store
        lease = Lease(store, job.id, config.replica, config.lease_seconds)
        lease.start()
        log.info("job %s: running %s (attempt %d)", job.id, job.session, job.attempts)
        try:
            self._outputs.remove_partials(job.lab, job.id)  # what a killed run of this job left
            location, report, dandi = self._convert(job, lease)
            store.finish(job.id, config.replica, JobState.DONE, output=location, report=report, dandi=dandi)
            log.info("job %s: done, %s", job.id, location)
        except Cancelled:
            store.finish(job.id, config.replica, JobState.CANCELLED, error="cancelled")
            log.info("job %s: cancelled", job.id)
        except ClaimLost:
            log.warning("job %s: taken over by another replica; stopped here", job.id)
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
        except ConversionError as error:
            self._metrics.record_error("bad_input")
            self._fail(job, error)
        except Exception as error:
            log.exception("job %s: internal error", job.id)
            self._metrics.record_error("internal")
            self._fail(job, f"internal error: {type(error).__name__}: {error}")
        finally:
            lease.end()
            self._outputs.remove_partials(job.lab, job.id)

    def _words(self, job: JobRecord, error: object) -> str:
        """What the lab reads: the error without the absolute location of its data root."""
        return hide_root(str(error), self._config.labs[job.lab].data_root)

    def _fail(self, job: JobRecord, error: object, **fields: Any) -> None:
        reason = self._words(job, error)
        self._store.finish(job.id, self._config.replica, JobState.FAILED, error=reason, **fields)
        log.error("job %s: failed: %s", job.id, reason)

    def _convert(self, job: JobRecord, lease: Lease) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Converts, validates and publishes; returns the output's location, the validation report and the DANDI
        outcome."""
        spec, session = job_spec(self._config, job)
        root = self._config.labs[job.lab].data_root
        sessions = {session.name: session.interfaces}
        provenance = provenance_in_background(job.spec_yaml, job.spec_name, sessions, root)[session.name]
        check = self._checker(job, lease)
        staging = self._outputs.staging(job.lab, job.id)
        needs = {name for name, _ in session.interfaces.values()}
        with (
            self._services_for(needs) as services,
            Converter(session.interfaces, services, alignment=session.alignment) as converter,
        ):
            check(0, 0)
            path = converter.run_conversion(
                nwbfile_path=Path(staging) / session.nwbfile_name,
                metadata=session.metadata,
                overwrite=True,
                stub_test=bool(job.options.get("stub")) or session.stub,
                backend=job.options.get("backend") or spec.backend,
                backend_configuration=spec.backend_configuration,
                conversion_options=session.conversion_options,
                progress=False,
                on_chunk=check,
                provenance=provenance.result(),
            )
            metadata = merge_metadata([converter.get_metadata()], session.metadata)
        self._store.update(job.id, self._config.replica, state=JobState.VALIDATING)
        check(-1, -1)
        report = validate_output(path)
        name, dandi = session.nwbfile_name, None
        if spec.upload_to_dandiset:
            config = self._config
            api_key = os.environ.get(config.dandi_api_key_env, "")
            dandi_parent = path.parent / "dandi"
            path, dandi = organize_for_dandiset(
                path, metadata, spec.upload_to_dandiset, dandi_parent, config.dandi_instance, api_key
            )
            name = dandi["path"]
        check(-1, -1)
        location = self._outputs.publish(job.lab, job.id, path, name)
        shutil.rmtree(staging, ignore_errors=True)
        return location, report, dandi

    def _checker(self, job: JobRecord, lease: Lease) -> Callable[[int, int], None]:
        """Told the bytes stored after each chunk (-1: no news): at most twice a second, records the progress and
        stops the conversion when the job was cancelled, taken over, or this replica is stopping."""
        last = 0.0

        def check(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if done > 0 and now - last < REPORT_SECONDS:
                return
            last = now
            if self._stop.is_set():
                raise Stopping()
            if lease.lost:
                raise ClaimLost()
            fields = {"bytes_done": done, "bytes_total": total} if done >= 0 else {}
            if not self._store.update(job.id, self._config.replica, **fields):
                raise ClaimLost()
            current = self._store.get(job.id)
            if current is not None and current.cancel_requested:
                raise Cancelled()

        return check


class ValidationFailed(ConversionError):
    """The written file does not pass pynwb's validator or has a CRITICAL nwbinspector message."""

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report


def validate_output(path: Path) -> dict[str, Any]:
    """The validation report, kept with the job; raises ValidationFailed when the file does not pass."""
    from ..validation import validate_nwbfile

    report = validate_nwbfile(path)
    if not report.ok:
        raise ValidationFailed(f"{path.name}: does not validate: {report.summary()}", report.to_json())
    return report.to_json()
