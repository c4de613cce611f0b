"""nwbstream's icephys service (neo)."""
