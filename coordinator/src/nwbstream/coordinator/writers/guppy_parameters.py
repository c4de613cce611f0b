"""GuppyParameters (ndx-guppy): the GuPPy run's parameters as lab metadata, one per file."""

from __future__ import annotations

import json

from nwbstream.v1 import modality_pb2 as pb

from .context import WriteContext
from .registry import Contribution, Written, writes


@writes(pb.NWB_KIND_GUPPY_PARAMETERS)
def add_guppy_parameters(ctx: WriteContext, contribution: Contribution) -> Written:
    from ndx_guppy import GuppyParameters

    obj = contribution.obj
    parameters = GuppyParameters(name=obj.name, **json.loads(obj.attributes_json or "{}"))
    ctx.nwbfile.add_lab_meta_data(parameters)
    return Written(parameters)
