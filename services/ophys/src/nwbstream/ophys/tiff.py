"""Multi-page TIFF stacks (one or several files), read by roiextractors' MultiTIFFMultiPageExtractor.

roiextractors opens the file anew for every read, and tifffile then walks the page chain from the first page to
find page k: each read of a long stack costs O(k), a whole stack O(n^2) (about 150 CPU-seconds at 20 GB). The
extractor is handed files that stay open for the source's life instead: tifffile remembers the offset of every
page it has walked (offsets only, not the pages), so each frame is found at once.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from nwbstream.service import Detection, FolderListing, SourceError
from nwbstream.service.detection import SUFFIX, relative

from .claims import tiff_files
from .imaging import BaseImagingInterface, PhotonSeriesType

NUMBERS = re.compile(r"\d+")  # frame_0001.tif and frame_0002.tif are named alike: frame_#.tif


class TiffImagingInterface(BaseImagingInterface):
    display_name = "TIFF Imaging"
    associated_suffixes = (".tif", ".tiff")
    info = "A multi-page TIFF movie as an imaging series."

    @classmethod
    def detect(cls, listing: FolderListing) -> list[Detection]:
        """Any TIFF is a movie to this interface, and numbered TIFFs of one folder (frame_0001.tif, ...) one movie in
        name order; microscopes' own layouts (ScanImage, Bruker, ...) outrank it."""
        series: dict[tuple[PurePosixPath, str], list[PurePosixPath]] = {}
        for file in tiff_files(listing):
            series.setdefault((file.parent, NUMBERS.sub("#", file.name)), []).append(file)
        todo = {"sampling_frequency": "frames per second (a plain TIFF does not state it)"}
        detections = []
        for (_, pattern), files in series.items():
            single = len(files) == 1
            detections.append(
                Detection(
                    cls.__name__,
                    {"file_path": relative(files[0])} if single else {"file_paths": [relative(f) for f in files]},
                    tuple(map(str, files)),
                    SUFFIX,
                    f"{files[0]}: TIFF signature" if single else f"{len(files)} TIFFs named {pattern} in name order",
                    todo=todo,
                )
            )
        return detections

    def __init__(
        self,
        file_path: Path | None = None,
        file_paths: list[Path] | None = None,
        sampling_frequency: float | None = None,
        dimension_order: str = "ZCT",
        num_channels: int = 1,
        channel_name: str | None = None,
        num_planes: int = 1,
        verbose: bool = False,
        photon_series_type: PhotonSeriesType = "TwoPhotonSeries",
        metadata_key: str | None = None,
    ):
        """
        Parameters
        ----------
        file_path : Path, optional
            One TIFF file (NeuroConv deprecates it for `file_paths`).
        file_paths : list of Path, optional
            TIFF files, in acquisition order.
        sampling_frequency : float
            Frames per second.
        dimension_order : str
            Order of the Z (plane), C (channel) and T (time) axes of the pages, e.g. "ZCT".
        num_channels : int
            Channels interleaved in the pages.
        channel_name : str, optional
            The channel to read ("0", "1", ...); required when there are several.
        num_planes : int
            Planes per volume.
        photon_series_type : str
            TwoPhotonSeries or OnePhotonSeries.
        metadata_key : str, optional
            Key of this series in the Ophys metadata; default "tiff_imaging" (or "tiff_imaging_channel_<name>").
        """
        from roiextractors import MultiTIFFMultiPageExtractor

        if (file_path is None) == (file_paths is None):
            raise SourceError("TiffImagingInterface: give file_path or file_paths (one of them)")
        if sampling_frequency is None:
            raise SourceError("TiffImagingInterface: sampling_frequency is required")
        paths = [file_path] if file_path is not None else list(file_paths or [])
        self._files = OpenTiffFiles()
        imaging = MultiTIFFMultiPageExtractor(
            file_paths=paths,
            sampling_frequency=sampling_frequency,
            dimension_order=dimension_order,
            num_channels=num_channels,
            channel_name=channel_name,
            num_planes=num_planes,
        )
        imaging._tifffile = self._files
        default_key = f"tiff_imaging_channel_{channel_name}" if channel_name is not None else "tiff_imaging"
        self.use_imaging(imaging, metadata_key or default_key, photon_series_type)

    def close(self) -> None:
        self._files.close()


class OpenTiffFiles:
    """Stands in for the tifffile module inside the extractor: `TiffFile(path)` gives the same open file every
    time, and the extractor's `close()` leaves it open; `close()` here closes them all."""

    def __init__(self) -> None:
        import tifffile

        self._tifffile = tifffile
        self._files: dict[str, _KeptOpen] = {}

    def TiffFile(self, path: Path) -> _KeptOpen:  # noqa: N802 - the name the extractor calls
        key = str(path)
        if key not in self._files:
            self._files[key] = _KeptOpen(self._tifffile.TiffFile(key))
        return self._files[key]

    def __getattr__(self, name: str):
        return getattr(self._tifffile, name)

    def close(self) -> None:
        for kept in self._files.values():
            kept.file.close()
        self._files.clear()


class _KeptOpen:
    def __init__(self, file) -> None:
        self.file = file

    def __getattr__(self, name: str):
        return getattr(self.file, name)

    def __enter__(self) -> _KeptOpen:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def close(self) -> None:
        """The source closes it, once."""
