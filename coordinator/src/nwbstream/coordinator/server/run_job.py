"""`nwbstream run-job --config FILE JOB_ID`: the body of a Kubernetes Job's pod (kubernetes_jobs.py).

Runs exactly that job in this process, as the replica that claimed it ($NWBSTREAM_REPLICA) and for that claim's
attempt ($NWBSTREAM_ATTEMPT): progress and outcome go to the store as that replica's, and this process renews the
claim while it runs. SIGTERM (the Job deleted, the node drained) stops the conversion at its next chunk and gives the
job back to the queue, unless it was cancelled. Exits 0 when the job ended done or cancelled, 1 otherwise (failed,
given back, or no longer this claim's).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path

from ..errors import ConversionError
from .app import job_services
from .config import load_config
from .inprocess import InProcess
from .kubernetes_jobs import ATTEMPT_ENV, REPLICA_ENV
from .logs import configure_json_logging, job_context
from .metrics import ConversionMetrics
from .outputs import open_outputs
from .runner import Runner
from .store import JobState, open_store
from .store.base import ACTIVE_STATES

log = logging.getLogger(__name__)


def run_job(config_path: Path, job_id: str) -> int:
    replica, attempt = os.environ.get(REPLICA_ENV, ""), os.environ.get(ATTEMPT_ENV, "")
    if not replica or not attempt.isdigit():
        raise ConversionError(f"run-job: set ${REPLICA_ENV} (the claiming replica) and ${ATTEMPT_ENV} (its attempt)")
    config = dataclasses.replace(load_config(config_path), replica=replica)
    configure_json_logging()
    store = open_store(config.store)
    try:
        job = store.get(job_id)
        if job is None:
            raise ConversionError(f"run-job: no job {job_id} in the store")
        if job.state not in ACTIVE_STATES or job.claimed_by != replica or job.attempts != int(attempt):
            print(f"run-job: job {job_id} is no longer held by {replica} for attempt {attempt}", file=sys.stderr)
            return 1
        outputs = open_outputs(config.outputs, config.staging)
        metrics = ConversionMetrics(store.counts)
        with job_services(config, metrics) as services_for:
            runner = Runner(config, store, InProcess(config, outputs, services_for), metrics)
            signal.signal(signal.SIGTERM, lambda *_: runner.stop())
            with job_context(job.id):
                runner.run(job)
        ended = store.get(job_id)
        return 0 if ended is not None and ended.state in (JobState.DONE, JobState.CANCELLED) else 1
    finally:
        store.close()
