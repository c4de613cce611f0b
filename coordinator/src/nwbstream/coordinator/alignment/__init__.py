"""Putting every stream of a session on one session clock: the maps from a stream's own clock to the reference's,
how they are fitted from sync pulses, and how the coordinator applies them (docs/alignment.md)."""
