"""An ndx-sound AcousticWaveformSeries: `data` bulk ((samples,) or (samples, channels)), rate + start, in
`stimulus` (NeuroConv's default) or `acquisition`.

The entry is item `metadata_index` of the list at `metadata_key` (`Behavior/Audio`, one per file, as NeuroConv
keeps them); its fields are the series' own, as NeuroConv passes them on, `starting_time` included. A source of
several files must give each entry its `starting_time`: where a file starts is not in the file.
"""

from __future__ import annotations

import json

from ndx_sound import AcousticWaveformSeries
from nwbstream.v1 import modality_pb2 as pb

from ..errors import ConversionError
from .context import WriteContext
from .image_series import metadata_entry
from .registry import Contribution, Written, writes
from .series import series_datasets, timing_arguments

SERIES_FIELDS = {"name", "description", "comments", "unit", "resolution", "conversion", "offset", "continuity"}


@writes(pb.NWB_KIND_ACOUSTIC_WAVEFORM_SERIES)
def add_acoustic_waveform_series(ctx: WriteContext, contribution: Contribution) -> Written:
    obj = contribution.obj
    attributes = json.loads(obj.attributes_json or "{}")
    entry = metadata_entry(ctx, obj, attributes)
    timing = timing_arguments(obj, contribution.data)
    if "starting_time" in entry:
        timing["starting_time"] = float(entry["starting_time"])
    elif attributes.get("files", 1) > 1:
        raise ConversionError(
            f"{obj.name}: one of {attributes['files']} audio files; give each metadata {obj.metadata_key} entry its "
            "starting_time (seconds from the session start)"
        )
    series = AcousticWaveformSeries(
        **{"name": obj.name, **{k: v for k, v in entry.items() if k in SERIES_FIELDS}},
        data=contribution.data["data"],
        **timing,
    )
    ctx.place(series, obj.placement or "stimulus", metadata_key=obj.metadata_key)
    return Written(series, series_datasets(series, obj))
