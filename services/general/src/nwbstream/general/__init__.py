"""nwbstream's general service (Pillow, pandas, openpyxl)."""
