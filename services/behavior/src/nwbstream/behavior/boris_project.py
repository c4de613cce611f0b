"""A BORIS project file (`.boris`, one JSON document): its coding scheme and one observation's events.

An event row is [time, subject, code, modifiers, comment]. Whether a row opens or closes anything is known only
from the scheme: a state behavior's rows alternate start, stop per (subject, code); a point behavior is one row.
A bout that never closes keeps a NaN duration. "No focal subject" and "" both mean nobody.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nwbstream.service import SourceError

NO_FOCAL_SUBJECT = "No focal subject"
UNANSWERED = "None"
SHORTCUT = re.compile(r" \([^()]*\)$")  # the " (key)" BORIS strips from a declared modifier value when recording


@dataclass(frozen=True)
class Behavior:
    code: str
    state: bool
    description: str
    category: str
    excluded: list[str]
    slots: list[str]  # modifier slot names, in declaration order
    slot_values: list[list[str]]  # each slot's menu, shortcut stripped
    slot_descriptions: list[str]  # what the scheme's author wrote about each slot ("" for most)


@dataclass
class Occurrence:
    onset: float
    subject: str
    code: str
    modifiers: list[list[str]]  # the values ticked in each slot
    comment: str
    duration: float | None  # None: a point behavior; NaN: a bout never closed
    recorded: str = ""  # the row's modifier field as BORIS wrote it
    stop_comment: str = ""
    stop_modifiers: list[list[str]] = field(default_factory=list)  # the closing row's answers
    stop_recorded: str = ""


@dataclass
class Observation:
    name: str
    kind: str  # MEDIA or LIVE
    date: str
    description: str
    time_offset: float
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass(frozen=True)
class Project:
    behaviors: dict[str, Behavior]
    subjects: dict[str, str]  # name -> description
    observations: list[str]


def read_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"{path}: not a BORIS project (not JSON: {error})") from None
    if not isinstance(document, dict) or "behaviors_conf" not in document or "observations" not in document:
        raise SourceError(f"{path}: not a BORIS project (no behaviors_conf and observations)")
    return document


def read_project(document: dict[str, Any]) -> Project:
    """The coding scheme (behaviors by code), the declared subjects and the observations' names."""
    slot_dicts = float(document.get("project_format_version", 0.0)) >= 7.0
    behaviors = {}
    for entry in document["behaviors_conf"].values():
        slots = _slots(entry.get("modifiers", ""), slot_dicts)
        behaviors[entry["code"]] = Behavior(
            code=entry["code"],
            state=entry.get("type", "") != "Point event",
            description=entry.get("description", ""),
            category=entry.get("category", ""),
            excluded=[code for code in entry.get("excluded", "").split(",") if code],
            slots=[name.strip() for name, _, _ in slots],
            slot_values=[[SHORTCUT.sub("", value) for value in values] for _, values, _ in slots],
            slot_descriptions=[description for _, _, description in slots],
        )
    subjects = {s["name"]: s.get("description", "") for s in document.get("subjects_conf", {}).values()}
    return Project(behaviors, subjects, list(document["observations"]))


def _slots(declared: Any, slot_dicts: bool) -> list[tuple[str, list[str], str]]:
    """(name, menu, description) per modifier slot: a dict of slots from format 7.0, one comma-joined menu
    before it."""
    if not declared:
        return []
    if slot_dicts and isinstance(declared, dict):
        return [
            (slot.get("name", ""), list(slot.get("values", [])), slot.get("description", ""))
            for slot in declared.values()
        ]
    return [("", [value for value in str(declared).split(",") if value], "")]


def read_observation(path: Path, document: dict[str, Any], project: Project, name: str) -> Observation:
    observations = document["observations"]
    if name not in observations:
        raise SourceError(f"{path}: no observation {name!r} (it holds {list(observations)})")
    entry = observations[name]
    observation = Observation(
        name=name,
        kind=entry.get("type", ""),
        date=entry.get("date", ""),
        description=entry.get("description", ""),
        time_offset=float(entry.get("time offset", 0.0)),
    )
    open_bouts: dict[tuple[str, str], Occurrence] = {}
    for row in entry.get("events", []):
        time, subject, code, modifiers, comment = row[:5]
        subject = "" if subject == NO_FOCAL_SUBJECT else subject
        behavior = project.behaviors.get(code)
        answers = [[] if f in ("", UNANSWERED) else f.split(",") for f in (modifiers.split("|") if modifiers else [])]
        if behavior is None or not behavior.state:
            observation.occurrences.append(Occurrence(float(time), subject, code, answers, comment, None, modifiers))
            continue
        opening = open_bouts.pop((subject, code), None)
        if opening is not None:
            opening.duration = float(time) - opening.onset
            opening.stop_comment, opening.stop_modifiers, opening.stop_recorded = comment, answers, modifiers
            continue
        opening = Occurrence(float(time), subject, code, answers, comment, math.nan, modifiers)
        open_bouts[(subject, code)] = opening
        observation.occurrences.append(opening)
    return observation


def object_name(name: str) -> str:
    """An observation name as an NWB object name: its words capitalized and joined (`observation #2` ->
    `Observation2`), prefixed with `Observation` when it would start with a digit."""
    words = [word for word in re.split(r"[\W_]+", name) if word]
    joined = "".join(word[:1].upper() + word[1:] for word in words)
    return joined if joined and not joined[0].isdigit() else f"Observation{joined}"


def modifier_column(code: str, slot: str, position: int) -> str:
    """The column of one behavior's modifier slot: `modifier_<behavior words>_<slot words or position>`."""

    def words(text: str) -> list[str]:
        return [word.lower() for word in re.split(r"[\W_]+", text) if word]

    return "_".join(["modifier", *words(code), "_".join(words(slot)) or str(position + 1)])
