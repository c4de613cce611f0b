"""Runs a claimed job in this process: convert one session, validate the file, publish it.

The conversion checks its claim after each chunk (at most twice a second): it records the progress there, and stops
when the job was cancelled, taken over, or this process is stopping.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..converter import Converter
from ..dandi import organize_for_dandiset
from ..errors import ConversionError
from ..metadata import merge_metadata
from ..provenance import provenance_in_background
from ..spec import SessionJob, Spec, parse_spec
from .config import ServerConfig
from .outcomes import ValidationFailed
from .paths import confine_spec
from .runner import Done, Hold, ServicesFor
from .store import JobRecord, JobState

REPORT_SECONDS = 0.5  # how often a running job's progress is written and its claim checked


def job_spec(config: ServerConfig, job: JobRecord) -> tuple[Spec, SessionJob]:
    """The job's spec, its paths confined to the lab's data root, and its session."""
    root = config.labs[job.lab].data_root
    spec = parse_spec(job.spec_yaml, job.spec_name or "spec", root)
    confine_spec(spec, root)
    for session in spec.sessions:
        if session.name == job.session:
            return spec, session
    raise ConversionError(f"{job.spec_name or 'spec'}: no session {job.session}")


class InProcess:
    """The executor of `runner: {kind: inprocess}`, and of the pod of a Kubernetes Job (`nwbstream run-job`)."""

    outlives_process = False

    def __init__(self, config: ServerConfig, outputs: Any, services_for: ServicesFor) -> None:
        """`services_for(interface names)` gives a connected ServiceSet for one job (closed at its end)."""
        self._config = config
        self._outputs = outputs
        self._services_for = services_for

    def run(self, job: JobRecord, hold: Hold) -> Done:
        self._outputs.remove_partials(job.lab, job.id)  # what a killed run of this job left
        try:
            return self._convert(job, hold)
        finally:
            self._outputs.remove_partials(job.lab, job.id)

    def _convert(self, job: JobRecord, hold: Hold) -> Done:
        spec, session = job_spec(self._config, job)
        root = self._config.labs[job.lab].data_root
        sessions = {session.name: session.interfaces}
        provenance = provenance_in_background(job.spec_yaml, job.spec_name, sessions, root)[session.name]
        check = _checker(hold)
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
            warnings = converter.warnings()
        hold.update(state=JobState.VALIDATING)
        check(-1, -1)
        report = {**validate_output(path), "warnings": warnings}
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
        return Done(location, report, dandi)


def _checker(hold: Hold) -> Callable[[int, int], None]:
    """Told the bytes stored after each chunk (-1: no news): at most twice a second and after the last chunk,
    records the progress and checks the claim (hold.check raises how the conversion must stop)."""
    last = 0.0

    def check(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if 0 < done < total and now - last < REPORT_SECONDS:  # the last chunk's numbers are always kept
            return
        last = now
        if done >= 0:
            hold.update(bytes_done=done, bytes_total=total)
        hold.check()

    return check


def validate_output(path: Path) -> dict[str, Any]:
    """The validation report, kept with the job; raises ValidationFailed when the file does not pass."""
    from ..validation import validate_nwbfile

    report = validate_nwbfile(path)
    if not report.ok:
        raise ValidationFailed(f"{path.name}: does not validate: {report.summary()}", report.to_json())
    return report.to_json()
