"""docs/formats.md says what the code and the tests hold."""

from __future__ import annotations

from .formats_doc import DETECTION_HEADER, DOC, render


def test_formats_page_is_current():
    assert DOC.read_text() == render(), "docs/formats.md is out of date: run `python -m tests.formats_doc`"


def test_every_offered_interface_is_tested_on_a_fixture():
    interfaces = render().split(DETECTION_HEADER)[0]  # the interfaces' table, not the detection table after it
    rows = [line.split(" | ") for line in interfaces.splitlines() if line.startswith("| ") and "not yet" not in line]
    untested = [row[0].lstrip("| ") for row in rows[2:] if not row[4].strip() or not row[5].strip()]
    assert untested == []
