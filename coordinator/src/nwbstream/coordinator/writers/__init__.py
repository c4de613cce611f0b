"""One writer per NWB kind: formats are many, kinds are few."""

from .electrical_series import add_electrical_series, add_electrodes
from .session import make_nwbfile
from .units import add_units

__all__ = ["add_electrical_series", "add_electrodes", "add_units", "make_nwbfile"]
