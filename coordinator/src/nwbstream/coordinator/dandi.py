"""DANDI, for NeuroConv's `upload_to_dandiset` spec key: the file named as DANDI organizes it, checked offline by
dandi's own validator, and uploaded with dandi's own client.

A session is written straight into a local dandiset folder (`dandiset_folder`) under its DANDI name
(`dandi_name`), validated there (`validate_for_dandi`), then uploaded (`upload`) when an API key is configured.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConversionError

# Characters dandi's organize replaces with "-" in an id (it uses "_" and "-" to separate key-value pairs; "."
# would read as an extension).
_NOT_IN_A_LABEL = re.compile(r"[_*\\/<>:|\"'?%@;,.\s]")
_DANDISET_ID = re.compile(r"^(?:DANDI:)?(\d{6})$")
DANDISET_FILE = "dandiset.yaml"  # what dandi's upload looks for in the folder and its parents
_ERROR = 40  # dandi's Severity.ERROR: a problem that makes its upload refuse the file
_api_key_lock = threading.Lock()


def dandi_name(metadata: Mapping[str, Any]) -> str:
    """`sub-<subject_id>/sub-<subject_id>_ses-<session_id>.nwb`, ids sanitized as dandi's organize does. Without a
    session_id, dandi's organize takes the session's start: its date, and its time when that is not midnight."""
    subject_id = (metadata.get("Subject") or {}).get("subject_id")
    if subject_id in (None, ""):
        raise ConversionError(
            "metadata Subject/subject_id: required to upload to DANDI (it names the file sub-<subject_id>/...)"
        )
    session = metadata.get("NWBFile") or {}
    session_id = session.get("session_id") or _session_id_from_start(session.get("session_start_time"))
    subject, ses = _label(subject_id), _label(session_id)
    return f"sub-{subject}/sub-{subject}_ses-{ses}.nwb"


def dandiset_id(value: str) -> str:
    """The six digits of a Dandiset id ("123456" or "DANDI:123456")."""
    match = _DANDISET_ID.match(str(value).strip())
    if not match:
        raise ConversionError(f'upload_to_dandiset {value!r}: expected a six-digit Dandiset id, e.g. "000123"')
    return match.group(1)


def dandiset_folder(parent: Path, dandiset: str) -> Path:
    """`<parent>/<id>/` with the `dandiset.yaml` that dandi's validator and upload look for (its identifier only;
    the dandiset's own metadata stays on the archive)."""
    number = dandiset_id(dandiset)
    folder = parent / number
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DANDISET_FILE).write_text(f'identifier: "DANDI:{number}"\n')
    return folder


def validate_for_dandi(path: Path) -> list[str]:
    """dandi's own validator, offline, on one NWB file in a dandiset folder: the problems (severity ERROR or worse)
    that would make dandi refuse to upload it, each as "path: id: message". Covers the organized name, the
    metadata DANDI requires (subject, species, ...), the schema, and nwbinspector with DANDI's importance levels."""
    os.environ.setdefault("NO_ET", "1")  # dandi asks the internet which nwbinspector is the latest; not here
    from dandi.validate._core import validate  # the public entry point, as dandi's package docs say to import it

    return [
        f"{result.path}: {result.id}: {result.message}"
        for result in validate(str(path))
        if result.severity is not None and result.severity.value >= _ERROR
    ]


def upload(folder: Path, dandiset: str, instance: str, api_key: str) -> None:
    """Uploads the NWB files of a dandiset folder (`dandiset_folder`) with dandi's client, which validates them
    again and refuses invalid ones. `instance`: a DANDI instance name ("dandi", "dandi-sandbox", ...). dandi reads
    the key from `<INSTANCE>_API_KEY` only: it is set for the upload's duration (one upload at a time)."""
    from dandi.upload import UploadExisting, UploadValidation
    from dandi.upload import upload as dandi_upload

    number = dandiset_id(dandiset)
    yaml_file = folder / DANDISET_FILE
    if not yaml_file.is_file() or f"DANDI:{number}" not in yaml_file.read_text():
        raise ConversionError(f"{folder}: not the local folder of Dandiset {number} (see dandiset_folder)")
    if not api_key:
        raise ConversionError(f"Dandiset {number}: no DANDI API key configured; the files stay in the outputs")
    variable = f"{instance.upper().replace('-', '_')}_API_KEY"
    with _api_key_lock:
        before = os.environ.get(variable)
        os.environ[variable] = api_key
        try:
            dandi_upload(
                [str(folder)],
                dandi_instance=instance,
                existing=UploadExisting.REFRESH,  # a file already there is replaced by a newer one
                validation=UploadValidation.REQUIRE,
            )
        finally:
            if before is None:
                del os.environ[variable]
            else:
                os.environ[variable] = before


def organize_for_dandiset(
    path: Path, metadata: Mapping[str, Any], dandiset: str, parent: Path, instance: str, api_key: str
) -> tuple[Path, dict[str, Any]]:
    """Moves a written file to its DANDI name in the dandiset folder `parent/<id>/`, checks it with dandi's
    validator (a ConversionError lists what it refuses), and uploads it when `api_key` is given. Returns where the
    file now is and what happened, for the user: {dandiset, path, instance, uploaded, reason}."""
    name = dandi_name(metadata)
    number = dandiset_id(dandiset)
    folder = dandiset_folder(parent, number)
    organized = folder / name
    organized.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, organized)
    problems = validate_for_dandi(organized)
    if problems:
        raise ConversionError(f"{name}: DANDI's validator refuses it: {'; '.join(problems)}")
    outcome: dict[str, Any] = {"dandiset": number, "path": name, "instance": instance, "uploaded": bool(api_key)}
    if api_key:
        upload(folder, number, instance, api_key)
    else:
        outcome["reason"] = "no DANDI API key: the file was organized and validated, not uploaded"
    return organized, outcome


def _label(value: Any) -> str:
    return _NOT_IN_A_LABEL.sub("-", str(value))


def _session_id_from_start(start: Any) -> str:
    if start is None or start == "":
        raise ConversionError("metadata NWBFile/session_id (or session_start_time): required to name the DANDI file")
    moment = start if isinstance(start, dt.datetime) else dt.datetime.fromisoformat(str(start))
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y%m%d")
    return moment.strftime("%Y%m%dT%H%M%S")
