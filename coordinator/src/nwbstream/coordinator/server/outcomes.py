"""How a claimed job ends short of done, as the exceptions an executor raises and the Runner records."""

from __future__ import annotations

from typing import Any

from ..errors import ConversionError


class Cancelled(Exception):
    """The lab cancelled the job."""


class ClaimLost(Exception):
    """Another claim holds the job now (this one's lease ran out): stop without writing anything."""


class Stopping(Exception):
    """This process is shutting down: the job goes back to the queue."""


class ValidationFailed(ConversionError):
    """The written file does not pass pynwb's validator or has a CRITICAL nwbinspector message."""

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report


class JobFailed(ConversionError):
    """The job's Kubernetes Job ended (or cannot start) without its pod recording an outcome."""
