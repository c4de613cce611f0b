"""The generated sections of the docs: a script's figures between its `<!-- NAME:start -->` and `<!-- NAME:end -->`
markers, the rest of the page hand-written and left alone."""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def rewrite_section(doc: Path, name: str, section: str) -> None:
    """Replace what is between the markers of `name` in `doc` (appended at the end when missing)."""
    start, end = markers(name)
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text() if doc.exists() else f"# {doc.stem.capitalize()}\n"
    if start not in text or end not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    doc.write_text(f"{before}{start}\n{section}\n{end}{after}")
