"""Real icephys folders of ../shared/testdata and the sources detection keeps there (see __init__.py)."""

EXPECTED: dict = {
    # A folder's ABF files go to one AbfInterface (NeuroConv's one cell); each file alone, by AbfInterface or by
    # AxonIntracellularInterface, is an alternative.
    "icephys/abf": [
        (
            "AbfInterface",
            {
                "file_paths": [
                    "05210017_vc_abf1.abf",
                    "171116sh_0018.abf",
                    "17o05027_ic_ramp.abf",
                    "2018_12_09_pCLAMP11_0001.abf",
                ]
            },
        ),
    ],
}
