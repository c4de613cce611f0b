"""Plexon .pl2: refused with its reason (only Plexon's Windows PL2FileReader DLL reads it; no Wine here)."""

from __future__ import annotations

from pathlib import Path

from ..cases import Case
from . import GENERATED, generated_folder

PL2 = GENERATED / "plexon2" / "session.pl2"


def placeholder(folder: Path) -> None:
    """Any file will do: the interface refuses every .pl2 before reading it."""
    (folder / PL2.name).write_bytes(b"placeholder: no .pl2 file can be read here\n")


CASES = {
    "plexon2_refused": Case(
        "Plexon2RecordingInterface",
        {"file_path": str(PL2)},
        lambda: None,
        "none: nothing here reads .pl2 (Plexon's Windows DLL under Wine); a placeholder file checks the refusal",
        {"error": r"session\.pl2: cannot be read as a Plexon2 recording: .*PL2FileReader DLL"},
        kind="refused",
        make=lambda: generated_folder("plexon2", placeholder),
    ),
}
