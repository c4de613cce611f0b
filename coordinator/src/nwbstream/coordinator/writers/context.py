"""What every writer shares while one file is laid out: the NWBFile, the merged metadata, the objects written
so far (for links), and where objects go (acquisition, a processing module and its containers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hdmf.container import AbstractContainer
from nwbstream.v1 import modality_pb2 as pb
from pynwb import NWBFile
from pynwb.core import MultiContainerInterface

from ..errors import ConversionError

MODULE_DESCRIPTIONS = {
    "ecephys": "Processed extracellular electrophysiology data.",
    "ophys": "contains optical physiology processed data",  # NeuroConv's words
    "behavior": "processed behavioral data",  # NeuroConv's words, the same for every behavior interface
}


@dataclass
class WriteContext:
    nwbfile: NWBFile
    metadata: dict[str, Any]
    objects: dict[tuple[str, str], AbstractContainer] = field(default_factory=dict)
    # What a kind's `prepare` built for its objects (by a key of the kind's choosing), for `add` to return.
    prepared: dict[tuple[str, str], AbstractContainer] = field(default_factory=dict)

    def entry(self, key: str) -> dict[str, Any]:
        """The metadata entry at a "/"-separated key; {} when absent."""
        node: Any = self.metadata
        for part in key.split("/") if key else []:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}

    def linked_object(self, source: str, obj: pb.NwbObject, role: str) -> AbstractContainer:
        """The object of the same source that `obj` links to in `role` (written before it: dependency order)."""
        link = link_of(obj, role)
        if link is None or (source, link.object) not in self.objects:
            raise ConversionError(f"{obj.name}: no {role} object to link to ({link.object if link else 'none named'})")
        return self.objects[(source, link.object)]

    def place(
        self, container: AbstractContainer, placement: str, holder_type: type | None = None, metadata_key: str = ""
    ) -> None:
        """Adds `container` at `placement`: "acquisition", "stimulus", "processing/<module>",
        "processing/<module>/<holder>" or "acquisition/<holder>", creating the module and the holder (of
        `holder_type`) when missing. Two objects of one name at one place is an error that says which metadata
        `name` to change."""
        try:
            self._place(container, placement, holder_type)
        except ValueError as error:
            if "already exists" not in str(error):
                raise
            where = f"metadata {metadata_key}/name" if metadata_key else "the metadata"
            raise ConversionError(
                f"{placement}: two objects named {container.name!r}; give this one another name in {where}"
            ) from None

    def _place(self, container: AbstractContainer, placement: str, holder_type: type | None) -> None:
        parts = placement.split("/")
        if placement == "acquisition":
            self.nwbfile.add_acquisition(container)
        elif placement == "stimulus":
            self.nwbfile.add_stimulus(container)
        elif parts[0] == "acquisition" and len(parts) == 2:
            holder = self.nwbfile.acquisition.get(parts[1])
            if holder is None:
                holder = _new_holder(container, placement, holder_type)
                self.nwbfile.add_acquisition(holder)
            _add_to_holder(holder, container)
        elif parts[0] == "processing" and len(parts) in (2, 3):
            module = self.module(parts[1])
            if len(parts) == 2:
                module.add(container)
                return
            holder = module.data_interfaces.get(parts[2])
            if holder is None:
                holder = _new_holder(container, placement, holder_type)
                module.add(holder)
            _add_to_holder(holder, container)
        else:
            raise ConversionError(f"{container.name}: placement {placement!r} is not one nwbstream knows")

    def module(self, name: str, description: str = ""):
        """The processing module `name`, created (with `description`, else nwbstream's) on first use."""
        if name in self.nwbfile.processing:  # an empty module is falsy: test membership, not truth
            return self.nwbfile.processing[name]
        default = MODULE_DESCRIPTIONS.get(name, f"Processed {name} data.")
        return self.nwbfile.create_processing_module(name, description or default)


def _new_holder(container: AbstractContainer, placement: str, holder_type: type | None) -> AbstractContainer:
    """The holder a placement names, made of `holder_type` (its last part is the holder's name)."""
    name = placement.rsplit("/", 1)[1]
    if holder_type is None:
        raise ConversionError(f"{container.name}: placement {placement!r}: no container {name!r}")
    return holder_type(name=name)


def _add_to_holder(holder: AbstractContainer, container: AbstractContainer) -> None:
    """A MultiContainerInterface (Fluorescence, LFP, ImageSegmentation, ...) adds by the type it holds."""
    if not isinstance(holder, MultiContainerInterface):
        raise ConversionError(f"{container.name}: {holder.name} cannot hold other objects")
    for conf in holder.__clsconf__ if isinstance(holder.__clsconf__, list) else [holder.__clsconf__]:
        if isinstance(container, conf["type"]):
            getattr(holder, conf["add"])(container)
            return
    raise ConversionError(f"{container.name}: a {type(container).__name__} cannot go into {holder.name}")


def link_of(obj: pb.NwbObject, role: str) -> pb.Link | None:
    return next((link for link in obj.links if link.role == role), None)
