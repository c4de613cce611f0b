"""Real icephys folders of ../shared/testdata and the sources detection keeps there (see __init__.py)."""

EXPECTED: dict = {
    # No file says which recordings are one cell's: one source per file (AxonIntracellularInterface the alternative).
    "icephys/abf": [
        ("AbfInterface", {"file_paths": ["05210017_vc_abf1.abf"]}),
        ("AbfInterface", {"file_paths": ["171116sh_0018.abf"]}),
        ("AbfInterface", {"file_paths": ["17o05027_ic_ramp.abf"]}),
        ("AbfInterface", {"file_paths": ["2018_12_09_pCLAMP11_0001.abf"]}),
    ],
}
