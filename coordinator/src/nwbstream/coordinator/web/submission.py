"""The spec the page submits: Detect's drafted spec with the person's metadata and the sources they kept."""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import ConversionError


def submission_spec(draft_yaml: str, metadata: dict[str, Any], sources: dict[str, dict[str, Any]]) -> str:
    """`draft_yaml` (one session, as Detect drafts it) with `metadata` as its session's metadata and `sources`
    (key -> {"interface_name", "source_data"}, the detected source or the alternative chosen, its missing arguments
    filled) as its interfaces; a source left out of `sources` is left out of the conversion."""
    spec = yaml.safe_load(draft_yaml)
    if not isinstance(spec, dict) or not isinstance(spec.get("experiments"), dict):
        raise ConversionError("the drafted spec: not a spec Detect wrote (no experiments)")
    sessions = [session for experiment in spec["experiments"].values() for session in experiment.get("sessions", [])]
    if len(sessions) != 1:
        raise ConversionError(f"the drafted spec: {len(sessions)} sessions where Detect drafts one")
    if not sources:
        raise ConversionError("no source chosen: keep at least one")
    for key, source in sources.items():
        if not isinstance(source, dict) or not source.get("interface_name"):
            raise ConversionError(f"source {key}: give its interface_name and source_data")
    spec["data_interfaces"] = {key: source["interface_name"] for key, source in sources.items()}
    sessions[0]["source_data"] = {key: source.get("source_data") or {} for key, source in sources.items()}
    sessions[0]["metadata"] = metadata
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
