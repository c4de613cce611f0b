"""GuPPy's processing module: every ndx-guppy object goes into the module its metadata names (NeuroConv: `guppy`,
described with the GuPPy version), which the objects reach through their `processing_module` link."""

from __future__ import annotations

from nwbstream.v1 import modality_pb2 as pb
from pynwb.base import ProcessingModule

from ..errors import ConversionError
from .context import WriteContext, link_of


def guppy_module(ctx: WriteContext, obj: pb.NwbObject) -> ProcessingModule:
    """The module named by the entry `obj`'s `processing_module` link points at, created on first use."""
    link = link_of(obj, "processing_module")
    if link is None or not link.metadata_key:
        raise ConversionError(f"{obj.name}: no processing_module link to a metadata entry")
    entry = ctx.entry(link.metadata_key)
    name = entry.get("name", "guppy")
    module = ctx.nwbfile.processing.get(name)
    if module is None:
        module = ctx.nwbfile.create_processing_module(name, entry.get("description", "GuPPy processing outputs."))
    return module
