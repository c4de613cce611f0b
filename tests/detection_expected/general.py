"""Real general folders of ../shared/testdata and the sources detection keeps there (see __init__.py)."""

EXPECTED: dict = {}
