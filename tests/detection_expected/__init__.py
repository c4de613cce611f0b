"""What detection must find in every real folder of ../shared/testdata: folder (relative to it) -> the sources kept,
each (interface, source_data with paths relative to the folder). One module per modality; docs/formats.md's
detection table is generated from EXPECTED (tests/formats_doc.py)."""

from __future__ import annotations

from typing import Any

from . import behavior, ecephys_a_n, ecephys_o_z, general, icephys, ophys

Expected = dict[str, list[tuple[str, dict[str, Any]]]]

EXPECTED: Expected = {
    **ecephys_a_n.EXPECTED,
    **ecephys_o_z.EXPECTED,
    **ophys.EXPECTED,
    **behavior.EXPECTED,
    **icephys.EXPECTED,
    **general.EXPECTED,
}
