"""XClust .CEL cluster files, generated as spikeinterface's XClust reader reads them (fixtures/ecephys/xclust.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from spikeinterface.extractors.xclustextractors import XClustSortingExtractor

from ..cases import Case
from ..fixtures.ecephys import xclust as fixture
from . import GENERATED, generated_folder

FOLDER = GENERATED / "xclust"


def make() -> Path:
    return generated_folder("xclust", fixture.write_cel_files)


def reader(**source):
    def read():
        """The reader's units under their unit_name property, the names NeuroConv writes (BL1_cluster_1)."""
        sorting = XClustSortingExtractor(**source, sampling_frequency=fixture.RATE)
        return sorting.rename_units(sorting.get_property("unit_name"))

    return read


ESA_FILES = [str(FOLDER / "ESA23D~1.CEL"), str(FOLDER / "BL1~2.CEL")]


def truncate(tmp_path: Path) -> tuple[dict, Path]:
    make()
    folder = Path(shutil.copytree(FOLDER, tmp_path / "xclust"))
    cel = folder / "BL1~2.CEL"
    text = cel.read_text()
    cel.write_text(text[: text.rstrip().rfind(" ") - 6])  # the last row loses its time and a peak
    return {"folder_path": str(folder), "sampling_frequency": fixture.RATE}, cel


def wrong_format(tmp_path: Path) -> tuple[dict, Path]:
    folder = tmp_path / "xclust"
    folder.mkdir()
    cel = folder / "BL1~1.CEL"  # an Affymetrix CEL (microarray intensities) under XClust's name
    cel.write_text("[CEL]\nVersion=3\n\n[HEADER]\nCols=1190\nRows=1190\n[INTENSITY]\nNumberCells=2\n0\t0\t42.0\n")
    return {"folder_path": str(folder), "sampling_frequency": fixture.RATE}, cel


def check_clusters(nwbfile, sorting) -> None:
    assert list(nwbfile.units["unit_name"][:]) == ["BL1_cluster_1", "BL1_cluster_2", "ESA23D_cluster_1"]
    assert list(nwbfile.units["cluster_id"][:]) == ["1", "2", "1"]
    assert [len(nwbfile.units["spike_times"][row]) for row in range(3)] == list(fixture.CLUSTERS.values())


def check_file_order(nwbfile, sorting) -> None:
    assert list(nwbfile.units["unit_name"][:]) == ["ESA23D_cluster_1", "BL1_cluster_2"]  # the list's order


CASES = {
    "xclust_cel": Case(
        "XClustSortingInterface",
        {"folder_path": str(FOLDER), "sampling_frequency": fixture.RATE},
        reader(folder_path=FOLDER),
        "generated: XClust .CEL text files (header, Cluster and Fields lines, seconds), checked by reading them "
        "back with spikeinterface XClustSortingExtractor",
        kind="sorting",
        reader_name="XClustSortingExtractor",
        make=make,
        truncate=truncate,
        wrong_format=wrong_format,
        check=check_clusters,
        expect={
            "bad_arguments": [
                (
                    {"folder_path": str(FOLDER), "file_path_list": ESA_FILES, "sampling_frequency": fixture.RATE},
                    "give either folder_path or file_path_list",
                )
            ]
        },
    ),
    "xclust_cel_files": Case(
        "XClustSortingInterface",
        {"file_path_list": ESA_FILES, "sampling_frequency": fixture.RATE},
        reader(file_path_list=ESA_FILES),
        "generated: XClust .CEL text files (header, Cluster and Fields lines, seconds), checked by reading them "
        "back with spikeinterface XClustSortingExtractor",
        kind="sorting",
        reader_name="XClustSortingExtractor",
        make=make,
        check=check_file_order,
    ),
}
