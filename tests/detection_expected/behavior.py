"""Real behavior folders of ../shared/testdata and the sources detection keeps there (see __init__.py)."""

EXPECTED: dict = {
    # The predictions .h5 (its project's config.yaml is optional, so not spelled out) and the video they came from;
    # labeled-data/ holds training labels (no likelihood), which no interface converts.
    "behavior/deeplabcut": [
        ("ExternalVideoInterface", {"file_paths": ["m3v1mp4.mp4"]}),
        ("DeepLabCutInterface", {"file_path": "m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5"}),
    ],
    # FicTrac's sample input only: no .dat output to convert, so the video is all there is.
    "behavior/fictrac": [("ExternalVideoInterface", {"file_paths": ["sample.mp4"]})],
    # Two camera views' predictions and a video; CollectedData.csv holds training labels (no likelihood).
    "behavior/lightningpose": [
        ("LightningPoseDataInterface", {"file_path": "predictions/180607_004.train_frames=75.rng=0.csv"}),
        (
            "LightningPoseDataInterface",
            {"file_path": "predictions/3f859b5c-e73a-4044-b49e-34bb81e96715.left.rng=0.csv"},
        ),
        ("ExternalVideoInterface", {"file_paths": ["videos/test_vid.mp4"]}),
    ],
    # Several sessions in one file: which one, and which arrays hold events, are TODOs.
    "behavior/medpc": [("MedPCArrayEventsInterface", {"file_path": "data"})],
    # Four .slp files (tracks and frame rate are TODOs) and the video of demo-flies13-preds.slp.
    "behavior/sleap": [
        ("SLEAPInterface", {"file_path": "centered_pair_predictions.slp"}),
        ("ExternalVideoInterface", {"file_paths": ["demo-flies13-preds.mp4"]}),
        ("SLEAPInterface", {"file_path": "demo-flies13-preds.slp"}),
        ("SLEAPInterface", {"file_path": "minimal_instance.pkg.slp"}),
        ("SLEAPInterface", {"file_path": "predictions_1.2.7_provenance_and_tracking.slp"}),
    ],
    # Two unrelated videos: one linked source each.
    "behavior/video": [
        ("ExternalVideoInterface", {"file_paths": ["m3v1mp4.mp4"]}),
        ("ExternalVideoInterface", {"file_paths": ["vid.avi"]}),
    ],
}
