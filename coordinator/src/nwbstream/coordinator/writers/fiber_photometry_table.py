"""The FiberPhotometry lab metadata (ndx-fiber-photometry), built once per file from NeuroConv 0.10's layout.

`FiberPhotometry.FiberPhotometryTable` has `name`, `description` and `rows` keyed by a row key; each row names its
hardware by key in the top-level `Devices` (`optical_fiber_metadata_key`, `excitation_source_metadata_key`, ...), its
indicator in `FiberPhotometry.FiberPhotometryIndicators`, and the indicators their injections and viruses in
`FiberPhotometryVirusInjections` / `FiberPhotometryViruses`. A series names its rows by key
(`fiber_photometry_table_region`); a row's index is its position in `rows`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConversionError
from .context import WriteContext
from .typed_devices import typed_device

ROW_DEVICES = {
    "optical_fiber_metadata_key": "optical_fiber",
    "excitation_source_metadata_key": "excitation_source",
    "photodetector_metadata_key": "photodetector",
    "dichroic_mirror_metadata_key": "dichroic_mirror",
    "excitation_filter_metadata_key": "excitation_filter",
    "emission_filter_metadata_key": "emission_filter",
}
ROW_FIELDS = ("location", "excitation_wavelength_in_nm", "emission_wavelength_in_nm", "coordinates", "notes")
LAB_META_DATA_NAME = "fiber_photometry"


def fiber_photometry_table(ctx: WriteContext):
    """The file's FiberPhotometryTable, built from metadata (with its devices and indicators) on first use."""
    from ndx_fiber_photometry import FiberPhotometry, FiberPhotometryTable

    existing = ctx.nwbfile.lab_meta_data.get(LAB_META_DATA_NAME)
    if existing is not None:
        return existing.fiber_photometry_table
    section = ctx.metadata.get("FiberPhotometry") or {}
    table_entry = section["FiberPhotometryTable"]
    viruses = _built(section, "FiberPhotometryViruses", "ViralVector", {})
    injections = _built(section, "FiberPhotometryVirusInjections", "ViralVectorInjection", {"viral_vector": viruses})
    indicators = _built(section, "FiberPhotometryIndicators", "Indicator", {"viral_vector_injection": injections})
    if not indicators:
        raise ConversionError(
            "metadata FiberPhotometry/FiberPhotometryIndicators: a table needs at least one indicator"
        )
    table = FiberPhotometryTable(
        name=table_entry.get("name", "fiber_photometry_table"),
        description=table_entry.get("description", "fiber photometry table"),
    )
    for row_key, row in (table_entry.get("rows") or {}).items():
        table.add_row(**_row(ctx, row_key, row, indicators))
    ctx.nwbfile.add_lab_meta_data(
        FiberPhotometry(
            name=LAB_META_DATA_NAME,
            fiber_photometry_table=table,
            fiber_photometry_indicators=_holder("FiberPhotometryIndicators", "indicators", indicators),
            fiber_photometry_viruses=_holder("FiberPhotometryViruses", "viral_vectors", viruses),
            fiber_photometry_virus_injections=_holder(
                "FiberPhotometryVirusInjections", "viral_vector_injections", injections
            ),
        )
    )
    return table


def table_rows(ctx: WriteContext, row_keys: list[str], series: str) -> list[int]:
    """The indices of the rows `row_keys` name (a row's index is its position in the metadata's `rows`)."""
    rows = list(ctx.metadata["FiberPhotometry"]["FiberPhotometryTable"].get("rows") or {})
    missing = [key for key in row_keys if key not in rows]
    if missing:
        raise ConversionError(
            f"metadata FiberPhotometry/{series}/fiber_photometry_table_region: rows {missing} are not in "
            f"FiberPhotometryTable/rows ({rows})"
        )
    return [rows.index(key) for key in row_keys]


def _row(ctx: WriteContext, row_key: str, row: Mapping[str, Any], indicators: Mapping[str, Any]) -> dict[str, Any]:
    where = f"metadata FiberPhotometry/FiberPhotometryTable/rows/{row_key}"
    values: dict[str, Any] = {field: row[field] for field in ROW_FIELDS if field in row}
    for field in ("location", "excitation_wavelength_in_nm", "emission_wavelength_in_nm"):
        if row.get(field) is None:
            raise ConversionError(f"{where}: give `{field}`")
    for key_field, column in ROW_DEVICES.items():
        if row.get(key_field) is not None:
            values[column] = typed_device(ctx.nwbfile, ctx.metadata, row[key_field])
    indicator_key = row.get("indicator_metadata_key")
    if indicator_key not in indicators:
        raise ConversionError(f"{where}: indicator_metadata_key {indicator_key!r} is not in FiberPhotometryIndicators")
    values["indicator"] = indicators[indicator_key]
    if row.get("commanded_voltage_series_metadata_key") is not None:
        raise ConversionError(f"{where}: commanded voltage series are not written by nwbstream yet")
    return values


def _built(section: Mapping[str, Any], registry: str, type_name: str, links: Mapping[str, Mapping[str, Any]]):
    """Each entry of `registry` as an ndx-ophys-devices object; a `<field>_metadata_key` names the object of
    `links[field]` it refers to (an injection's viral vector, an indicator's injection)."""
    import ndx_ophys_devices

    built = {}
    for key, entry in (section.get(registry) or {}).items():
        fields = dict(entry)
        for field, targets in links.items():
            target = fields.pop(f"{field}_metadata_key", None)
            if target is None:
                continue
            if target not in targets:
                raise ConversionError(
                    f"metadata FiberPhotometry/{registry}/{key}: {field}_metadata_key {target!r} is unknown"
                )
            fields[field] = targets[target]
        built[key] = getattr(ndx_ophys_devices, type_name)(**fields)
    return built


def _holder(type_name: str, field: str, objects: Mapping[str, Any]):
    import ndx_fiber_photometry

    return getattr(ndx_fiber_photometry, type_name)(**{field: list(objects.values())}) if objects else None
