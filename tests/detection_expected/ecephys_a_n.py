"""Real ecephys folders of ../shared/testdata (formats A to N) and the sources detection keeps there (__init__.py)."""

EXPECTED: dict = {}
