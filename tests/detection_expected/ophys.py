"""Real ophys folders of ../shared/testdata and the sources detection keeps there (see __init__.py)."""

EXPECTED: dict = {
    # Minian's zarr stores; no timeStamps.csv, so sampling_frequency is a TODO (not in source_data)
    "ophys/minian": [("MinianSegmentationInterface", {"folder_path": "minian"})],
    # one plane, one channel: no plane_name / channel_name needed
    "ophys/suite2p": [("Suite2pSegmentationInterface", {"folder_path": "suite2p"})],
    # two plain TIFFs, each its own movie (sampling_frequency a TODO)
    "ophys/tiff": [
        ("TiffImagingInterface", {"file_path": "frame_000.tif"}),
        ("TiffImagingInterface", {"file_path": "multipage.tif"}),
    ],
}
