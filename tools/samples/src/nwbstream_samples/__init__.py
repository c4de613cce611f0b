"""Sample sessions written on demand for the demo, the benchmark and the tests (development tooling, not product)."""
