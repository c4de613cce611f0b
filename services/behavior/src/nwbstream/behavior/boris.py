"""BORIS: one observation of a `.boris` project as events (one EventsTable named after the observation), its
closed state bouts as EthogramBouts and the project's coding scheme as the Ethogram catalogue, as NeuroConv does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from nwbstream.service import Column, Detection, FolderListing, NwbObjectSpec
from nwbstream.service.detection import HEADER, LAYOUT, relative
from nwbstream.service.events import BaseEventsInterface, EventType, events_metadata_schema

from .boris_project import Occurrence, modifier_column, object_name, read_document, read_observation, read_project
from .claims import choose_one, small_json
from .ethogram import ETHOGRAMS, Bouts, behavior_schema, ethogram_object

SUBJECT = "The subject the event was scored on."
COMMENT = "The coder's comment, from the row that opened the occurrence."
STOP_COMMENT = "The coder's comment on the row that closed a state bout."
FIXED_DESCRIPTIONS = {"subject": SUBJECT, "comment": COMMENT, "stop_comment": STOP_COMMENT}
NOBODY = (
    "The event was scored against no subject. BORIS writes this as an empty subject or as the literal "
    "'No focal subject', which are the same thing and never a declared name."
)


class BORISInterface(BaseEventsInterface):
    """The events, state bouts and coding scheme of one observation of a BORIS project."""

    display_name = "BORIS"
    associated_suffixes = (".boris",)
    info = "One observation of a BORIS project: behavior bouts and point events against its ethogram."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """A .boris project (JSON); its observations are read when the file fits in a head read, and the one to
        convert is filled in when it is the only one."""
        detections = []
        for project in listing.with_suffix(".boris"):
            if not listing.text_head(project, 64).lstrip().startswith("{"):
                continue
            document = small_json(listing, project)
            if isinstance(document, dict) and isinstance(document.get("observations"), dict):
                observations = list(document["observations"])
                chosen, todo = choose_one("observation_name", observations, "the observation to convert")
                confidence, evidence = HEADER, f"{project}: BORIS project, {len(observations)} observation(s)"
            else:
                chosen, todo = {}, {"observation_name": "the observation to convert (a key of its observations)"}
                confidence, evidence = LAYOUT, f"{project}: a BORIS project (JSON), too large to list its observations"
            detections.append(
                Detection(
                    cls.__name__,
                    {"file_path": relative(project), **chosen},
                    (str(project),),
                    confidence,
                    evidence,
                    name="boris",
                    todo=todo,
                )
            )
        return detections

    def __init__(
        self, file_path: str, *, observation_name: str, metadata_key: str | None = None, verbose: bool = False
    ):
        """Open one observation of a BORIS project.

        Parameters
        ----------
        file_path : str
            Path to the ``.boris`` JSON document.
        observation_name : str
            The observation to read (the project's ``observations`` keys).
        metadata_key : str, optional
            Key of this interface's block in ``metadata["Events"]``; default ``boris_<observation words>``.
        verbose : bool, default False
            Unused; kept for NeuroConv's signature.
        """
        path = Path(file_path)
        document = read_document(path)
        self._project = read_project(document)
        self._observation = read_observation(path, document, self._project, observation_name)
        words = [word.lower() for word in re.split(r"[\W_]+", observation_name) if word]
        self.metadata_key = metadata_key or "_".join(["boris", *words])
        self._table_name = object_name(observation_name)

    @staticmethod
    def get_observation_names(file_path: str) -> list[str]:
        """The observations of a ``.boris`` file, in file order."""
        return read_project(read_document(Path(file_path))).observations

    def _by_code(self) -> dict[str, list[Occurrence]]:
        """Every declared behavior (scored or not), then any undeclared code the events name."""
        found: dict[str, list[Occurrence]] = {code: [] for code in self._project.behaviors}
        for occurrence in self._observation.occurrences:
            found.setdefault(occurrence.code, []).append(occurrence)
        return found

    def _is_state(self, code: str) -> bool:
        behavior = self._project.behaviors.get(code)
        return behavior is not None and behavior.state

    def _closing_rows_differ(self, closing: str, opening: str) -> bool:
        """Whether some closed bout's closing row says something its opening row did not (comment or modifiers):
        only then does the closing field get columns of its own."""
        return any(getattr(o, closing) != getattr(o, opening) for o in self._closed_bouts())

    def _closed_bouts(self) -> list[Occurrence]:
        return [o for o in self._observation.occurrences if o.duration is not None and not np.isnan(o.duration)]

    def _modifier_names(self, code: str, occurrences: list[Occurrence]) -> list[str]:
        """The column of each of the behavior's modifier slots, and of any answer recorded beyond them (a slot the
        scheme lost after scoring), named by position."""
        behavior = self._project.behaviors.get(code)
        slots = behavior.slots if behavior is not None else []
        count = max([len(slots), *(len(o.modifiers) for o in occurrences)])
        return [modifier_column(code, slots[p] if p < len(slots) else "", p) for p in range(count)]

    def _payload(self, code: str, occurrences: list[Occurrence]) -> dict[str, list[Any]]:
        """Subject and comment, one ragged column per modifier slot some occurrence answered, and the closing
        row's comment and answers where some bout's differ from its opening row's."""
        payload: dict[str, list[Any]] = {
            "subject": [o.subject for o in occurrences],
            "comment": [o.comment for o in occurrences],
        }
        names = self._modifier_names(code, occurrences)
        payload |= _answered(names, [o.modifiers for o in occurrences])
        if self._closing_rows_differ("stop_comment", "comment"):
            payload["stop_comment"] = [o.stop_comment for o in occurrences]
        if self._closing_rows_differ("stop_recorded", "recorded"):
            payload |= _answered([f"stop_{name}" for name in names], [o.stop_modifiers for o in occurrences])
        return payload

    def _subject_meanings(self) -> dict[str, str]:
        """What the project says of each subject it describes, and what the empty subject means."""
        return {name: text for name, text in self._project.subjects.items() if text} | {"": NOBODY}

    def read_events(self) -> dict[str, EventType]:
        """One type per behavior code: onsets (shifted by the observation's time offset), durations for a state
        behavior (scored or not: the table's duration column comes from the scheme), and the payload."""
        offset = self._observation.time_offset
        found = {}
        for code, occurrences in self._by_code().items():
            payload = self._payload(code, occurrences)
            found[code] = EventType(
                timestamps=np.asarray([o.onset + offset for o in occurrences], dtype="<f8"),
                durations=np.asarray([o.duration for o in occurrences], "<f8") if self._is_state(code) else None,
                payload={field: _cells(values) for field, values in payload.items()},
            )
        return found

    def event_entry(self, type_id: str, events: EventType) -> dict[str, Any]:
        """The behavior's code as its name, its definition as its description, one shared table, and the
        columns described (the subject's with the project's roster and what it says of each subject)."""
        roster = sorted({""} | set(self._project.subjects) | {o.subject for o in self._observation.occurrences})
        columns = {field: self._column_spec(field, events.payload[field]) for field in events.payload}
        columns["subject"]["column_categories"] = {
            "labels": {name: name for name in roster},
            "meanings": self._subject_meanings(),
        }
        entry = {"event_name": type_id, "table_metadata_key": self.metadata_key, "columns": columns}
        behavior = self._project.behaviors.get(type_id)
        if behavior is not None and behavior.description:
            entry["event_description"] = behavior.description
        return entry

    def _column_spec(self, field: str, values: np.ndarray) -> dict[str, Any]:
        """A column's name and description; a modifier column's vocabulary (what was recorded and what its slot's
        menu offers) as identity labels, which BORIS describes no further."""
        spec: dict[str, Any] = {"column_name": field, "description": self._column_description(field)}
        if field not in FIXED_DESCRIPTIONS:
            menu, _ = self._slot(field)
            vocabulary = sorted({str(value) for cell in values for value in cell} | set(menu))
            spec["column_categories"] = {"labels": {value: value for value in vocabulary}, "meanings": {}}
        return spec

    def _column_description(self, field: str) -> str:
        """The fixed text of subject and comments; a modifier column's from what the scheme's author wrote."""
        return FIXED_DESCRIPTIONS.get(field) or _modifier_description(field, self._slot(field)[1])

    def _slot(self, column: str) -> tuple[list[str], str]:
        """The menu and description of the declared modifier slot writing `column` or its closing-row twin
        (none for an undeclared one)."""
        column = column.removeprefix("stop_")
        for behavior in self._project.behaviors.values():
            for position, slot in enumerate(behavior.slots):
                if modifier_column(behavior.code, slot, position) == column:
                    return behavior.slot_values[position], behavior.slot_descriptions[position]
        return [], ""

    def get_metadata(self) -> dict[str, Any]:
        """The events' entries, the one table they share (named after the observation), and the observation's
        date and description as the session's."""
        metadata = super().get_metadata()
        observation = self._observation
        if observation.date:
            metadata["NWBFile"]["session_start_time"] = observation.date.replace(" ", "T")
        if observation.description:
            metadata["NWBFile"]["session_description"] = observation.description
        metadata["Events"]["EventTables"] = {
            self.metadata_key: {
                "table_name": self._table_name,
                "description": f"Behaviors scored in BORIS observation '{observation.name}' "
                f"({observation.kind.lower()}).",
            }
        }
        return metadata

    def get_metadata_schema(self) -> dict[str, Any]:
        return behavior_schema(events_metadata_schema())

    def describe(self, stub: bool = False) -> list[NwbObjectSpec]:
        return [*super().describe(stub), self._ethogram()]

    def _ethogram(self) -> NwbObjectSpec:
        observation, behaviors = self._observation, self._project.behaviors
        bouts = self._closed_bouts()
        offset = observation.time_offset
        columns = self._bout_columns(bouts)
        # NeuroConv's column order: the optional columns it declares before its first row, then the row's own.
        catalogue = [
            Column("behavior", "", list(behaviors)),
            Column("definition", "", [b.description for b in behaviors.values()]),
        ]
        if any(b.excluded for b in behaviors.values()):
            catalogue.append(Column("excludes", EXCLUDES, [b.excluded for b in behaviors.values()]))
        if any(b.slots for b in behaviors.values()):
            catalogue.append(Column("modifiers", MODIFIERS, [b.slots for b in behaviors.values()]))
            catalogue.append(Column("modifier_values", MODIFIER_VALUES, [b.slot_values for b in behaviors.values()]))
        if any(any(b.slot_descriptions) for b in behaviors.values()):
            descriptions = [b.slot_descriptions for b in behaviors.values()]
            catalogue.append(Column("modifier_descriptions", MODIFIER_DESCRIPTIONS, descriptions))
        catalogue += [
            Column("behavior_type", "", ["state" if b.state else "point" for b in behaviors.values()]),
            Column("category", "", [b.category for b in behaviors.values()]),
        ]
        return ethogram_object(
            name=f"{self._table_name}Bouts",
            metadata_key=f"{ETHOGRAMS}/{self.metadata_key}",
            bouts=Bouts(
                start_time=np.asarray([o.onset + offset for o in bouts], dtype="<f8"),
                stop_time=np.asarray([o.onset + o.duration + offset for o in bouts], dtype="<f8"),
                label=[o.code for o in bouts],
                columns=tuple(columns),
            ),
            catalogue=catalogue,
            attributes={
                "labeling_method": "manual",
                "source_software": "BORIS",
                "exclusive": False,
                "description": f"State behavior bouts scored in BORIS observation '{observation.name}'. Point "
                "behaviors and bouts whose stop was never scored are in the events table.",
                "catalogue_name": "Ethogram",
                "catalogue_description": "The BORIS coding scheme: every behavior the project declares.",
                "module_description": "Behavioral annotations.",  # NeuroConv's, when BORIS makes the module
                "meanings": {
                    "label": {
                        "description": "Meaning of each behavior.",
                        "values": {b.code: b.description for b in behaviors.values() if b.state and b.description},
                    },
                    "subject": {"description": "Meaning of each subject.", "values": self._subject_meanings()},
                },
            },
        )

    def _bout_columns(self, bouts: list[Occurrence]) -> list[Column]:
        """The events' payload columns over the closed bouts, in the events' order; a modifier column no bout
        answered is left out, and a bout's behavior without a column writes an empty cell there."""
        by_code = self._by_code()
        payloads = {code: self._payload(code, occurrences) for code, occurrences in by_code.items()}
        rows = {id(o): position for occurrences in by_code.values() for position, o in enumerate(occurrences)}
        fields = list(dict.fromkeys(field for payload in payloads.values() for field in payload))
        columns = []
        for field in fields:
            ragged = field not in FIXED_DESCRIPTIONS
            empty: Any = [] if ragged else ""
            cells = [payloads[o.code][field][rows[id(o)]] if field in payloads[o.code] else empty for o in bouts]
            if ragged and not any(cells):
                continue
            columns.append(Column(field, self._column_description(field), cells))
        return columns


EXCLUDES = (
    "The behaviors that starting this one terminates, as BORIS's exclusion matrix states them. Per behavior and "
    "partial, so a scheme can make four behaviors mutually exclusive and leave the rest free, and enforced per "
    "subject, so a multi-subject observation has overlapping bouts however complete the matrix is. Empty where the "
    "behavior excludes nothing."
)
MODIFIER_VALUES = (
    "The menu each slot in `modifiers` offers, in the same order, with the keyboard shortcut stripped as BORIS "
    "strips it when recording. Empty for a free numeric slot, which has no menu."
)
MODIFIER_DESCRIPTIONS = (
    "What the ethogram's author wrote about each slot in `modifiers`, in the same order. Empty where a slot was left "
    "undescribed, which most are."
)
MODIFIERS = (
    "The modifier slots this behavior declares, named as the scheme names them and in the order it declares them. "
    "Empty where the behavior declares no modifiers."
)


def _modifier_description(column: str, described: str) -> str:
    """What the author wrote about the slot (made a sentence), else what the column is, as NeuroConv says it."""
    when = "on the row that closed a state bout" if column.startswith("stop_") else "when the behavior was scored"
    if described:
        sentence = described.rstrip()
        sentence = sentence if sentence.endswith((".", "!", "?")) else f"{sentence}."
        return f"{sentence} Answered {when}."
    slot = column.removeprefix("stop_").removeprefix("modifier_")
    return (
        f"The '{slot}' modifier answered {when}. The Ethogram's `modifiers` column says which slot this is for "
        "each behavior, and `modifier_values` what it could hold."
    )


def _answered(names: list[str], answers: list[list[list[str]]]) -> dict[str, list[list[str]]]:
    """One column per slot (`names[position]`) of the occurrences' answers, for the slots some occurrence answered
    (an all-empty ragged column would have no type to write)."""
    columns = {}
    for position, name in enumerate(names):
        cells = [answer[position] if position < len(answer) else [] for answer in answers]
        if any(cells):
            columns[name] = cells
    return columns


def _cells(values: list[Any]) -> np.ndarray:
    """A payload field as an object array, cell by cell (numpy would stack a modifier's lists into a matrix)."""
    cells = np.empty(len(values), dtype=object)
    for index, value in enumerate(values):
        cells[index] = value
    return cells
