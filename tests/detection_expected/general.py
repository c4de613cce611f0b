"""Real general folders of ../shared/testdata and the sources detection keeps there (see __init__.py)."""

EXPECTED: dict = {
    "general/csv": [("CsvTimeIntervalsInterface", {"file_path": "trials.csv"})],
    "general/excel": [("ExcelTimeIntervalsInterface", {"file_path": "trials.xlsx"})],
}
