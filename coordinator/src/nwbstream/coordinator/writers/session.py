"""The NWBFile and its Subject, from the NWBFile and Subject sections of the metadata."""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from collections.abc import Mapping
from typing import Any

from dateutil.tz import tzlocal
from pynwb import NWBFile
from pynwb.file import Subject

from ..provenance import source_script_fields


def make_nwbfile(metadata: dict[str, Any], provenance: Mapping[str, Any] | None = None) -> NWBFile:
    """`provenance` (provenance.py), when given, is written as the file's source script."""
    fields = dict(metadata["NWBFile"])
    if provenance is not None:
        fields |= source_script_fields(provenance, fields)
    fields["session_start_time"] = _aware(fields["session_start_time"], "NWBFile/session_start_time")
    if "timestamps_reference_time" in fields:
        fields["timestamps_reference_time"] = _aware(
            fields["timestamps_reference_time"], "NWBFile/timestamps_reference_time"
        )
    fields.setdefault("identifier", str(uuid.uuid4()))
    fields.setdefault("session_description", "")
    subject = metadata.get("Subject")
    if subject:
        subject = dict(subject)
        if "date_of_birth" in subject:
            subject["date_of_birth"] = _aware(subject["date_of_birth"], "Subject/date_of_birth")
        fields["subject"] = Subject(**subject)
    return NWBFile(**fields)


def _aware(value: str | dt.datetime, where: str) -> dt.datetime:
    """NWB times carry a time zone; a naive one (most acquisition files do not say theirs) is taken as the machine's
    local time, as pynwb and NeuroConv do, and the user is told so, since on a server that zone is rarely the lab's."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if moment.tzinfo:
        return moment
    aware = moment.replace(tzinfo=tzlocal())
    warnings.warn(
        f"metadata {where} {moment.isoformat()} has no time zone: written as this machine's local time "
        f"({aware.isoformat()}); give the zone (e.g. {moment.isoformat()}-05:00) to write the lab's",
        stacklevel=2,
    )
    return aware
