"""nwbstream's extracellular electrophysiology service (spikeinterface, neo, probeinterface)."""
