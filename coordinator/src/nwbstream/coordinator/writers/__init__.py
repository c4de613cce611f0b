"""One writer per NWB kind: formats are many, kinds are few. Importing this package registers them all."""

from . import (  # noqa: F401 - each module registers its writer
    acoustic_waveform_series,
    electrical_series,
    ethogram,
    events,
    fiber_photometry_response_series,
    guppy_derived_response_series,
    guppy_parameters,
    guppy_tables,
    image_series,
    images,
    intracellular_recordings,
    legacy_events,
    photon_series,
    plane_segmentation,
    pose_estimation,
    roi_response_series,
    time_intervals,
    time_series,
    units,
    vame,
)
from .context import WriteContext
from .registry import WRITERS, Contribution, Written, writer_for
from .session import make_nwbfile

__all__ = ["WRITERS", "Contribution", "WriteContext", "Written", "make_nwbfile", "writer_for"]
