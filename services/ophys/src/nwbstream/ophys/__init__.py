"""nwbstream's optical physiology service (roiextractors, tifffile, h5py)."""
