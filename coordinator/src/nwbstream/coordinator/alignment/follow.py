"""A sorting's spike times are on its recording's clock: a sorting the alignment block does not name follows the
map of the session's one aligned recording."""

from __future__ import annotations

from collections.abc import Mapping

from nwbstream.v1 import modality_pb2 as pb

from ..client import OpenedSource
from ..errors import ConversionError
from .maps import ClockMap


def sorting_followers(
    named: set[str], maps: Mapping[str, ClockMap], opened: Mapping[str, OpenedSource]
) -> dict[str, str]:
    """sorting key -> the recording key whose map it takes, for every sorting (an interface of Units only) the
    block does not name, when one recording of the session is aligned by a map. Several aligned recordings leave
    it ambiguous: the sorting must then be named in the block."""
    recordings = [key for key in maps if _kinds(opened[key]) & {pb.NWB_KIND_ELECTRICAL_SERIES}]
    sortings = [key for key in opened if key not in named and _kinds(opened[key]) == {pb.NWB_KIND_UNITS}]
    if not sortings or not recordings:
        return {}
    if len(recordings) > 1:
        raise ConversionError(
            f"alignment: sorting {sortings[0]!r} could follow any of the aligned recordings {recordings}; name it in "
            "the alignment block with its recording's method"
        )
    return {key: recordings[0] for key in sortings}


def _kinds(source: OpenedSource) -> set[int]:
    return {obj.kind for obj in source.objects}
