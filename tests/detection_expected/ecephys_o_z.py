"""Real ecephys folders of ../shared/testdata (formats O to Z) and the sources detection keeps there (__init__.py)."""

EXPECTED: dict = {
    "ecephys/phy/template": [("PhySortingInterface", {"folder_path": "."})],
}
