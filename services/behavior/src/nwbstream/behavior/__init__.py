"""nwbstream's behavior service (sleap-io, pandas, PyTables, OpenCV)."""
