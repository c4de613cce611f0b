"""Errors a service reports to its caller, each mapped to one gRPC status code."""

from __future__ import annotations


class SourceError(ValueError):
    """The source cannot be opened or read: missing, truncated, wrong format, bad arguments."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.not_found = not_found


class UnknownInterfaceError(LookupError):
    """No interface of that name in this service."""
