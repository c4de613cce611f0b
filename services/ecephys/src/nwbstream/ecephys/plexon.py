"""Plexon .plx files: the sorted units of their spike channels."""

from __future__ import annotations

from pathlib import Path

from .sorting import BaseSortingInterface


class PlexonSortingInterface(BaseSortingInterface):
    display_name = "Plexon Sorting"
    associated_suffixes = (".plx",)
    info = "Interface for Plexon sorting data (sorted units of a .plx file)."

    def __init__(self, file_path: Path, verbose: bool = False):
        """
        Parameters
        ----------
        file_path : Path
            Path to the plexon spiking data (.plx file).
        verbose : bool
            Accepted for NeuroConv compatibility; has no effect.
        """
        from spikeinterface.extractors import read_plexon_sorting

        self.sorting = read_plexon_sorting(file_path=file_path)
